"""What the checks look at: the user's inputs, and what was observed (fetched, read, obtained).

Checks are pure functions of a ``Context``; all I/O (fetching, reading files, running
grants) happens before, and its failures are recorded here as data for checks to report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

TokenKind = Literal["access_token", "id_token", "given"]

FetchErrorKind = Literal[
    "invalid_url",  # not an absolute http(s) URL
    "connect",  # refused, DNS failure, reset
    "timeout",  # connect or total timeout
    "tls",  # certificate verification or handshake failed
    "too_many_redirects",
    "redirect_to_http",  # https -> http downgrade, never followed
    "too_large",  # body over the size cap (read stopped there)
    "http_status",  # non-2xx answer
    "wrong_content_type",  # not application/json (or jwk-set+json)
    "not_json",  # body is not valid UTF-8 JSON
]


@dataclass(frozen=True)
class SampleToken:
    """A token to check. ``raw`` is a credential: never print it or its signature."""

    raw: str
    kind: TokenKind
    source: str  # human-readable origin, e.g. "--token-file tok.jwt" or "password grant"


@dataclass(frozen=True)
class CertificateInput:
    path: Path
    kid: str | None = None  # from --cert-kid KID=FILE


@dataclass(frozen=True)
class Inputs:
    """The onboarding request's fields, as given by flags or onboarding.toml (flags win)."""

    idp_name: str | None = None
    entity_id: str | None = None
    issuer: str | None = None
    audiences: tuple[str, ...] = ()
    jwks_url: str | None = None
    certificates: tuple[CertificateInput, ...] = ()
    external_id: str | None = None
    external_id_claim: str = "sub"
    tokens: tuple[SampleToken, ...] = ()
    # Whether the user asked the validator to obtain tokens (so "no token" is about a failed grant).
    token_requested: bool = False


@dataclass(frozen=True)
class Fetched:
    """One HTTP fetch: either a parsed JSON body or an error kind with a one-line detail."""

    url: str
    final_url: str | None = None
    status: int | None = None
    content_type: str | None = None
    body: bytes | None = None
    json: Any = None
    error: FetchErrorKind | None = None
    error_detail: str | None = None
    redirects: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class CertificateFile:
    """A --cert file as read: DER bytes of each certificate found, or why it could not be used."""

    path: Path
    kid: str | None
    der_certificates: tuple[bytes, ...] = ()
    contains_private_key: bool = False
    error: str | None = None  # unreadable, not PEM/DER, truncated


@dataclass(frozen=True)
class TokenRequestFailure:
    grant: str  # "client_credentials" | "password" | "discovery"
    detail: str  # one line, never containing the secret


@dataclass(frozen=True)
class Observations:
    discovery: Fetched | None = None
    jwks: Fetched | None = None
    jwks_url_used: str | None = None  # --jwks-url, else discovery's jwks_uri
    certificates: tuple[CertificateFile, ...] = ()
    token_failures: tuple[TokenRequestFailure, ...] = ()


@dataclass(frozen=True)
class Context:
    inputs: Inputs
    observations: Observations
    now: datetime  # the clock is passed in: checks never read the system time
    extras: dict[str, Any] = field(default_factory=dict)
