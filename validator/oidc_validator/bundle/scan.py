"""Secrets in a file of a package, wherever they sit: the one scan both the writer's guard and verify-bundle run.

Every file is scanned as bytes, and a JSON file also value by value (every member name and string at any
depth), because JSON escaping hides a PEM block's line breaks and a key nested three levels down is as
leaked as one at the top. What counts as a secret: a PEM private key, a secret JWK member (d p q dp dq qi
oth k) with a value, a credential assignment (``client_secret=...``), and a live token: a compact JWS
whose exp is still ahead (with the stand-in's leeway) at any of the moments given.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from oidc_validator.bundle.sample import is_live
from oidc_validator.crypto import pem
from oidc_validator.crypto.jwk import JsonPath, is_secret_member, json_children, render_path

LeakKind = Literal["pem_private_key", "jwk_private_members", "credential", "live_token"]

# Runs of base64url characters and dots: a compact JWS (RFC 7515 section 7.1) is one, header.payload.signature.
# The payload is found as a dot-delimited segment whose base64url decodes to a JSON object, so a prefix glued to
# the header ("xx" + token) or a dotted run before it ("a.b." + token) does not hide a token; one pass, each
# segment decoded at most once, so a hostile 4 MiB file costs linear time.
# (A plain character class with "+": every match succeeds where it starts, so no backtracking at all.)
_DOTTED_RUN = re.compile(rb"[A-Za-z0-9_.-]+")
MIN_PAYLOAD_CHARS = 8  # base64url of the shortest claims worth a look, {"a":1}; shorter segments are not tried
_DOTTED_RUN_TEXT = re.compile(_DOTTED_RUN.pattern.decode())
# A secret written down as name=value or "name": "value"; prose ("the client secret") has no such value.
_CREDENTIAL = re.compile(
    rb"""(?i)(\b(?:client[_-]?secret|password|passwd|api[_-]?key|private[_-]?key|secret)["']?\s*[:=]\s*["']?)[^\s"',;}]{6,}"""
)


@dataclass(frozen=True)
class Leak:
    """A secret found in a file: where and what kind, never the secret itself."""

    file: str
    kind: LeakKind
    where: str  # a JSON path, or "" for the file's bytes
    member: str = ""  # the secret JWK member's name (d, p, k...), for jwk_private_members

    def describe(self) -> str:
        what = {
            "pem_private_key": "a PEM private key",
            "jwk_private_members": f"private key members ({self.member})",
            "credential": "a credential (secret or password assignment)",
            "live_token": "a live token (a JWS whose exp has not passed)",
        }[self.kind]
        return f"{self.file} contains {what}" + (f" at {self.where}" if self.where else "")


def _b64_json(segment: bytes) -> Any:
    try:
        decoded = base64.urlsafe_b64decode(segment + b"=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        return None
    if not decoded.rstrip().endswith(b"}"):
        return None  # cheap refusal first: most dotted runs are not base64 JSON, and json.loads' exception costs more
    try:
        return json.loads(decoded)
    except (ValueError, RecursionError):
        return None


def _token_claims(run: bytes) -> Iterator[dict[str, Any]]:
    """The claims of every JWS in a dotted run: each segment with a segment on both sides that decodes to a JSON object."""
    segments = run.split(b".")
    for payload in segments[1:-1]:
        if len(payload) >= MIN_PAYLOAD_CHARS and payload[:1] == b"e":  # base64url of '{' then '"', ' ' or a line break
            claims = _b64_json(payload)
            if isinstance(claims, dict):
                yield claims


def has_live_token(data: bytes, moments: Sequence[datetime]) -> bool:
    """Whether ``data`` holds a compact JWS whose claims are live at any of ``moments`` (no exp: live)."""
    return any(is_live(claims, moments) for run in _DOTTED_RUN.finditer(data) for claims in _token_claims(run.group(0)))


def _text_leaks(data: bytes, moments: Sequence[datetime]) -> Iterator[LeakKind]:
    if pem.has_private_key(data):
        yield "pem_private_key"
    if _CREDENTIAL.search(data):
        yield "credential"
    if has_live_token(data, moments):
        yield "live_token"


def parse_json(data: bytes) -> tuple[bool, Any]:
    """(True, document) when ``data`` is JSON, else (False, None); never raises."""
    try:
        return True, json.loads(data)
    except (ValueError, RecursionError):
        return False, None


def file_leaks(name: str, data: bytes, moments: Sequence[datetime]) -> list[Leak]:
    """Every kind of secret in one file, once per kind and place."""
    leaks = [Leak(name, kind, "") for kind in _text_leaks(data, moments)]
    if name.endswith(".html"):
        # HTML escaping turns the quotes of "password": "..." into &quot;, which the credential pattern would not
        # see through: the text a browser shows is scanned as well.
        shown = html.unescape(data.decode("utf-8", "replace")).encode("utf-8")
        leaks += [Leak(name, kind, "") for kind in _text_leaks(shown, moments)]
    is_json, document = parse_json(data)
    if is_json:
        # One walk of the tree: secret JWK members, and every member name and string value read as text.
        members: list[Leak] = []
        texts: list[tuple[JsonPath, str]] = [((), document)] if isinstance(document, str) else []
        for path, value in json_children(document):
            if is_secret_member(path, value):
                members.append(Leak(name, "jwk_private_members", render_path(path), str(path[-1])))
            if isinstance(path[-1], str):
                texts.append((path, path[-1]))
            if isinstance(value, str):
                texts.append((path, value))
        leaks += members
        for path, text in texts:
            leaks += [Leak(name, kind, render_path(path)) for kind in _text_leaks(text.encode("utf-8", "replace"), moments)]
    # The bytes and the decoded string usually find the same thing; the JSON path says more, so it wins.
    located = {leak.kind for leak in leaks if leak.where}
    unique = dict.fromkeys(leak for leak in leaks if leak.where or leak.kind not in located)
    return list(unique)


def leaks_in(contents: Mapping[str, bytes], moments: Sequence[datetime]) -> list[Leak]:
    return [leak for name in sorted(contents) for leak in file_leaks(name, contents[name], moments)]


_PEM_PRIVATE_BLOCK = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)", re.DOTALL)
_CREDENTIAL_TEXT = re.compile(_CREDENTIAL.pattern.decode())
WITHHELD = "[withheld]"


def redact(text: str) -> str:
    """``text`` with every compact JWS, PEM private key and credential value replaced by [withheld].

    For text an attacker chose that a finding repeats (an entry name, a SHA256SUMS line): whatever it
    holds, verify-bundle's output must not pass a secret on. Any JWS goes, live or not: a message has
    no use for one.
    """
    text = _PEM_PRIVATE_BLOCK.sub(WITHHELD, text)
    text = _DOTTED_RUN_TEXT.sub(lambda m: WITHHELD if any(True for _ in _token_claims(m.group(0).encode())) else m.group(0), text)
    return _CREDENTIAL_TEXT.sub(lambda m: m.group(1) + WITHHELD, text)


def redact_value(value: Any) -> Any:
    """A finding's evidence with redact applied to every string in it."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {k: redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(v) for v in value]
    return value
