"""``verify-bundle``: can Support (or the customer, later) trust this package?

The entries first: exactly the names bundle writes (bundle.layout), as plain regular files. Then
integrity (SHA256SUMS: tampered, missing, extra files; it proves integrity, not origin: anyone
can rewrite it), the shape (onboarding.json against the JSON Schema), then the substance: the key
checks re-run on the bundled material, and the writer's secret scan re-run on every file and every
JSON string.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

import jwt

from oidc_validator.bundle import codes, layout
from oidc_validator.bundle.errors import BundleError
from oidc_validator.bundle.sample import is_live
from oidc_validator.bundle.scan import leaks_in, redact, redact_value
from oidc_validator.bundle.verify.recheck import key_findings, parse_jwks, token_kid_findings
from oidc_validator.bundle.verify.schema import onboarding_schema, validated_entry
from oidc_validator.bundle.verify.texts import parse_report, text_findings
from oidc_validator.model.findings import Finding, Severity

MAX_ENTRY_BYTES = 4 * 1024 * 1024
MAX_ENTRIES = 64
_SUM_LINE = re.compile(r"([0-9a-f]{64})  (\S(?:.*\S)?)")


def read_entries(path: Path) -> tuple[dict[str, bytes], list[Finding]]:
    """Every entry's bytes, capped; problems with the archive itself become findings.

    Nothing is extracted: entries are read into memory under their names, so an unsafe name is
    reported (verify_files) and its bytes still scanned for secrets, never written anywhere.
    """
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
                problem = "a directory" if info.is_dir() else layout.mode_problem(info.external_attr)
                if problem is not None:
                    findings.append(
                        codes.ENTRY_MODE.finding(
                            f"The entry {name!r} is {problem}.", entry=name, problem=problem, mode=f"{info.external_attr >> 16:06o}"
                        )
                    )
                if info.is_dir():
                    continue
                if name in files:
                    findings.append(codes.ENTRY_UNSAFE.finding(f"The entry name {name!r} appears twice.", entry=name))
                    continue
                if info.file_size > MAX_ENTRY_BYTES:
                    findings.append(
                        codes.ENTRY_TOO_LARGE.finding(f"{name} is {info.file_size} bytes uncompressed.", file=name, size=info.file_size)
                    )
                    continue
                try:
                    with archive.open(info) as handle:
                        files[name] = handle.read(MAX_ENTRY_BYTES + 1)[:MAX_ENTRY_BYTES]
                except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
                    # A CRC mismatch means the stored bytes changed after the zip was written.
                    findings.append(codes.FILE_TAMPERED.finding(f"{name} cannot be read back intact ({exc}).", file=name))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        return {}, [codes.UNREADABLE.finding(f"{path.name} is not a readable zip archive ({exc}).", file=str(path))]
    return files, findings


def _unsafe(name: str) -> bool:
    """A name that points outside the folder it is unpacked into, on POSIX or on Windows, or that a terminal would act on."""
    pure = PurePosixPath(name)
    windows = PureWindowsPath(name)
    return (
        pure.is_absolute()
        or ".." in pure.parts
        or "\\" in name
        or bool(windows.drive)
        or windows.is_absolute()
        or ":" in name
        or any(ord(c) < 0x20 or ord(c) == 0x7F for c in name)
    )


def entry_name_findings(names: Iterable[str]) -> list[Finding]:
    """Every name must be one bundle writes (bundle.layout), safe everywhere, and unique ignoring case."""
    findings: list[Finding] = []
    by_fold: dict[str, list[str]] = {}
    for name in names:
        by_fold.setdefault(name.casefold(), []).append(name)
        if _unsafe(name):
            findings.append(codes.ENTRY_UNSAFE.finding(f"The entry name {name!r} is unsafe.", entry=name))
        elif not layout.is_allowed_name(name):
            findings.append(codes.ENTRY_NOT_ALLOWED.finding(f"The entry {name!r} is not a file bundle writes.", entry=name))
    for twins in by_fold.values():
        if len(twins) > 1:
            findings.append(
                codes.ENTRY_CASE_TWIN.finding(
                    f"The entries {', '.join(map(repr, sorted(twins)))} differ only in letter case.", entries=sorted(twins)
                )
            )
    return findings


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


def secret_findings(doc: Any, files: Mapping[str, bytes], moments: Sequence[datetime]) -> list[Finding]:
    """The writer's scan (bundle.scan) over every file and every JSON string, plus the included token read as a token."""
    findings: list[Finding] = []
    live_files: set[str] = set()
    for leak in leaks_in(files, moments):
        code = codes.LIVE_TOKEN if leak.kind == "live_token" else codes.SECRET
        live_files |= {leak.file} if leak.kind == "live_token" else set()
        findings.append(code.finding(leak.describe() + ".", file=leak.file, kind=leak.kind, where=leak.where or None))
    sample = doc.get("sample_token") if isinstance(doc, dict) else None
    included = sample.get("included_file") if isinstance(sample, dict) else None
    if isinstance(included, str) and included in files and included not in live_files:
        try:
            claims = jwt.decode(files[included].decode("ascii", "replace").strip(), options={"verify_signature": False})
        except jwt.PyJWTError:
            claims = {}  # not a readable token: it cannot be shown to have expired
        if is_live(claims, moments):
            when = " or ".join(m.isoformat() for m in moments)
            findings.append(codes.LIVE_TOKEN.finding(f"{included} holds a token that has not expired at {when}.", file=included))
    return findings


def verify_files(files: Mapping[str, bytes], *, now: datetime, clock: datetime | None = None) -> list[Finding]:
    """Findings about a bundle's files (already read), as of ``now`` and ``clock``, with no secret in their text."""
    return [_withheld(f) for f in _verify_files(files, now=now, clock=clock)]


def _verify_files(files: Mapping[str, bytes], *, now: datetime, clock: datetime | None = None) -> list[Finding]:
    """Every finding, in order: entries, checksums, schema, texts, keys, secrets; tokens must be dead at ``now`` and ``clock``."""
    moments = (now,) if clock is None else (now, clock)
    findings = entry_name_findings(files)
    findings += checksum_findings(files)
    doc, shape = onboarding_findings(files)
    required = layout.required_names(doc.get("tool_version") if isinstance(doc, dict) else None)
    findings += [codes.REQUIRED_MISSING.finding(f"The bundle has no {name}.", file=name) for name in required if name not in files]
    findings += shape
    report, report_problems = parse_report(files)
    findings += report_problems
    findings += text_findings(doc if not shape else None, report, files)
    findings += key_findings(doc, files, now)
    jwks, _ = parse_jwks(files)
    if doc is not None:
        findings += token_kid_findings(doc, jwks)
    findings += secret_findings(doc, files, moments)
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


def _withheld(finding: Finding) -> Finding:
    """Entry names and SHA256SUMS lines are the archive's text, repeated in messages: keep any secret in them out."""
    return dataclasses.replace(finding, message=redact(finding.message), evidence=redact_value(finding.evidence))


def verify_bundle(path: Path, *, now: datetime, clock: datetime | None = None) -> list[Finding]:
    """Every finding about the bundle at ``path``; raises BundleError only when there is no file to read."""
    files, findings = read_entries(path)
    if files or not findings:
        findings += verify_files(files, now=now, clock=clock)
    return [_withheld(f) for f in findings]
