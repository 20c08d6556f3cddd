"""Write a certificate-mode onboarding package with version 0.1.0 of the project (commit 9bb8d35); see README.md.

Run with that version's packages first on the path (PYTHONPATH), and KEYS naming its shipped test keys.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from oidc_idp import Clock, running
from oidc_idp.config import DEFAULT_AUDIENCE, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_PASSWORD, DEFAULT_USERNAME
from oidc_validator import __version__
from oidc_validator.cli.main import main

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def write(out: Path, keys: Path) -> int:
    if __version__ != "0.1.0":
        raise SystemExit(f"this makes a 0.1.0 package, but oidc_validator {__version__} is on the path")
    os.environ["DEMO_SECRET"], os.environ["DEMO_PASSWORD"] = DEFAULT_CLIENT_SECRET, DEFAULT_PASSWORD
    with running(tls=True, clock=Clock(fixed=T0), seed_keys=keys) as idp:
        return main(["bundle", "--idp-name", "Made by 0.1.0", "--entity-id", idp.issuer, "--issuer", idp.issuer,
                     "--audience", DEFAULT_AUDIENCE, "--external-id", "demo@example.com",
                     "--client-id", DEFAULT_CLIENT_ID, "--client-secret-env", "DEMO_SECRET",
                     "--username", DEFAULT_USERNAME, "--password-env", "DEMO_PASSWORD", "--ca-file", str(idp.ca_file),
                     "--key-source", "certificates", "--now", "2026-12-01T12:05:00+00:00", "-o", str(out)])  # fmt: skip


if __name__ == "__main__":
    sys.exit(write(Path(sys.argv[1]), Path(os.environ["KEYS"])))
