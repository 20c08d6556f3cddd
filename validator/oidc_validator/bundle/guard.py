"""The last line of defence: no file of a bundle may carry a secret, whatever the code before got wrong.

Runs over the final bytes of every file, so a private key, a client secret, a password or a
token signature that slipped into a finding's evidence, a certificate file or the key set is
caught before anything reaches the disk.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from oidc_validator.bundle.errors import BundleError
from oidc_validator.bundle.scan import leaks_in

MIN_SECRET_CHARS = 4  # shorter strings would match innocent text; such secrets are not worth a refusal


def secret_problems(
    contents: Mapping[str, bytes],
    *,
    token_signatures: Sequence[str] = (),
    forbidden: Sequence[str] = (),
    allowed_signatures: Mapping[str, str] | None = None,
    live_at: Sequence[datetime] = (),
) -> list[str]:
    """One line per problem, naming the file and the kind of secret, never the secret itself.

    The scan (bundle.scan, the same one verify-bundle runs) looks into every file and every JSON value;
    ``live_at`` are the moments a token must be dead at (--now and the real clock). ``allowed_signatures``
    maps a file name to the one signature it may hold (the expired token included on request).
    """
    allowed = allowed_signatures or {}
    problems = [leak.describe() for leak in leaks_in(contents, live_at)]
    signatures = [s.encode("ascii", "replace") for s in token_signatures if s]
    secrets = [s.encode("utf-8") for s in forbidden if len(s) >= MIN_SECRET_CHARS]
    for name, data in contents.items():
        permitted = allowed.get(name, "").encode("ascii", "replace")
        if any(sig in data and sig != permitted for sig in signatures):
            problems.append(f"{name} contains a token signature")
        if any(secret in data for secret in secrets):
            problems.append(f"{name} contains a client secret or password")
    return problems


def assert_no_secrets(
    contents: Mapping[str, bytes],
    *,
    token_signatures: Sequence[str] = (),
    forbidden: Sequence[str] = (),
    allowed_signatures: Mapping[str, str] | None = None,
    live_at: Sequence[datetime] = (),
) -> None:
    problems = secret_problems(
        contents, token_signatures=token_signatures, forbidden=forbidden, allowed_signatures=allowed_signatures, live_at=live_at
    )
    if problems:
        raise BundleError(
            "refusing to write the bundle, it would leak a secret: " + "; ".join(problems) + ". Nothing was written",
            code="secret_in_bundle",
        )
