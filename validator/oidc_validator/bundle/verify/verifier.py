"""``verify-bundle``: can Support (or the customer, later) trust this package?

Integrity first (SHA256SUMS: tampered, missing, extra files), then the shape (onboarding.json
against the JSON Schema), then the substance: the key checks re-run on the bundled material,
and the no-secrets rule re-applied to every file.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

import jwt

from oidc_validator.bundle import codes
from oidc_validator.bundle.errors import BundleError
from oidc_validator.bundle.sample import is_expired
from oidc_validator.bundle.verify.recheck import key_findings, parse_jwks, token_kid_findings
from oidc_validator.bundle.verify.schema import onboarding_schema, validated_entry
from oidc_validator.bundle.verify.texts import parse_report, text_findings
from oidc_validator.crypto import pem
from oidc_validator.model.findings import Finding, Severity

MAX_ENTRY_BYTES = 4 * 1024 * 1024
MAX_ENTRIES = 64
REQUIRED = ("REQUEST.md", "onboarding.json", "report.json", "report.txt")
_SUM_LINE = re.compile(r"([0-9a-f]{64})  (\S(?:.*\S)?)")


def read_entries(path: Path) -> tuple[dict[str, bytes], list[Finding]]:
    """Every entry's bytes, capped; problems with the archive itself become findings."""
    if not path.is_file():
        raise BundleError(f"{path}: no such bundle file", code="bundle_not_found")
    findings: list[Finding] = []
    files: dict[str, bytes] = {}
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_ENTRIES:
                return {}, [codes.UNREADABLE.finding(f"{path.name} has {len(infos)} entries; a bundle has a handful.", entries=len(infos))]
            for info in infos:
                name = info.filename
                pure = PurePosixPath(name)
                if info.is_dir():
                    continue
                if pure.is_absolute() or ".." in pure.parts or "\\" in name or name in files:
                    findings.append(codes.ENTRY_UNSAFE.finding(f"The entry name {name!r} is unsafe or repeated.", entry=name))
                    continue
                if info.file_size > MAX_ENTRY_BYTES:
                    findings.append(
                        codes.ENTRY_TOO_LARGE.finding(f"{name} is {info.file_size} bytes uncompressed.", file=name, size=info.file_size)
                    )
                    continue
                try:
                    with archive.open(info) as handle:
                        files[name] = handle.read(MAX_ENTRY_BYTES + 1)[:MAX_ENTRY_BYTES]
                except (zipfile.BadZipFile, OSError, ValueError) as exc:
                    # A CRC mismatch means the stored bytes changed after the zip was written.
                    findings.append(codes.FILE_TAMPERED.finding(f"{name} cannot be read back intact ({exc}).", file=name))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        return {}, [codes.UNREADABLE.finding(f"{path.name} is not a readable zip archive ({exc}).", file=str(path))]
    return files, findings


def checksum_findings(files: Mapping[str, bytes]) -> list[Finding]:
    if "SHA256SUMS" not in files:
        return [codes.CHECKSUMS_MISSING.finding("The bundle has no SHA256SUMS.")]
    findings: list[Finding] = []
    listed: dict[str, str] = {}
    for number, line in enumerate(files["SHA256SUMS"].decode("utf-8", "replace").splitlines(), start=1):
        match = _SUM_LINE.fullmatch(line)
        if match is None:
            findings.append(codes.CHECKSUMS_MALFORMED.finding(f"SHA256SUMS line {number} is malformed.", line=number))
            continue
        listed[match.group(2)] = match.group(1)
    for name, digest in listed.items():
        if name not in files:
            findings.append(codes.FILE_MISSING.finding(f"{name} is listed in SHA256SUMS but missing from the bundle.", file=name))
        elif hashlib.sha256(files[name]).hexdigest() != digest:
            findings.append(
                codes.FILE_TAMPERED.finding(
                    f"{name} does not match its SHA-256 in SHA256SUMS: it was changed.",
                    file=name,
                    expected=digest,
                    actual=hashlib.sha256(files[name]).hexdigest(),
                )
            )
    for name in sorted(set(files) - set(listed) - {"SHA256SUMS"}):
        findings.append(codes.FILE_UNLISTED.finding(f"{name} is in the bundle but not in SHA256SUMS: it was added.", file=name))
    return findings


def onboarding_findings(files: Mapping[str, bytes]) -> tuple[Any, list[Finding]]:
    doc, findings = validated_entry(files, "onboarding.json", codes.ONBOARDING_INVALID, onboarding_schema())
    return (doc if isinstance(doc, dict) else None), findings


def secret_findings(doc: Any, files: Mapping[str, bytes], now: datetime) -> list[Finding]:
    findings = [
        codes.SECRET.finding(f"{name} contains a PEM private key (not shown).", file=name)
        for name, data in files.items()
        if pem.has_private_key(data)
    ]
    sample = doc.get("sample_token") if isinstance(doc, dict) else None
    included = sample.get("included_file") if isinstance(sample, dict) else None
    if isinstance(included, str) and included in files:
        try:
            claims = jwt.decode(files[included].decode("ascii", "replace").strip(), options={"verify_signature": False})
        except jwt.PyJWTError:
            claims = {}
        if not is_expired(claims, now):
            findings.append(codes.LIVE_TOKEN.finding(f"{included} holds a token that has not expired at {now.isoformat()}.", file=included))
    return findings


def verify_files(files: Mapping[str, bytes], *, now: datetime) -> list[Finding]:
    """Findings about a bundle's files (already read), as of ``now``."""
    findings = checksum_findings(files)
    findings += [codes.REQUIRED_MISSING.finding(f"The bundle has no {name}.", file=name) for name in REQUIRED if name not in files]
    doc, shape = onboarding_findings(files)
    findings += shape
    report, report_problems = parse_report(files)
    findings += report_problems
    findings += text_findings(doc if not shape else None, report, files)
    findings += key_findings(doc, files, now)
    jwks, _ = parse_jwks(files)
    if doc is not None:
        findings += token_kid_findings(doc, jwks)
    findings += secret_findings(doc, files, now)
    validation = doc.get("validation") if isinstance(doc, dict) else None
    remaining = validation.get("remaining_errors") if isinstance(validation, dict) else None
    if remaining:
        findings.append(
            codes.ERRORS_REMAIN.finding(f"The bundle was written with errors remaining: {', '.join(map(str, remaining))}.", codes=remaining)
        )
    if not any(f.severity == Severity.ERROR for f in findings):
        findings.append(
            codes.VERIFIED.finding(
                f"{len(files)} files match SHA256SUMS; onboarding.json follows the schema; the key checks pass.", files=len(files)
            )
        )
    return findings


def verify_bundle(path: Path, *, now: datetime) -> list[Finding]:
    """Every finding about the bundle at ``path``; raises BundleError only when there is no file to read."""
    files, findings = read_entries(path)
    if not files and findings:
        return findings
    return findings + verify_files(files, now=now)
