"""Run options light enough for argument parsing (no httpx import): ``--help`` stays fast."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class FetchOptions:
    """Network limits shared by the fetcher and the token requests."""

    connect_timeout_seconds: float = 5.0
    # httpx timeouts apply per operation; this one bounds the whole exchange, redirects included.
    total_timeout_seconds: float = 15.0
    max_body_bytes: int = 1024 * 1024
    max_redirects: int = 3
    ca_file: Path | None = None


@dataclass(frozen=True)
class GrantRequest:
    """How to obtain sample tokens. The secrets are excluded from repr so they never reach a log."""

    grant: str  # "client_credentials" | "password"
    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    scope: str | None = None
