"""The last line of defence: no file of a bundle may carry a secret, whatever the code before got wrong.

Runs over the final bytes of every file, so a private key, a client secret, a password or a
token signature that slipped into a finding's evidence, a certificate file or the key set is
caught before anything reaches the disk.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from oidc_validator.bundle.errors import BundleError
from oidc_validator.crypto import pem
from oidc_validator.crypto.jwk import SECRET_MEMBERS

MIN_SECRET_CHARS = 4  # shorter strings would match innocent text; such secrets are not worth a refusal


def _jwks_private_members(data: bytes) -> list[str]:
    try:
        keys = json.loads(data).get("keys", [])
    except (ValueError, AttributeError):
        return []
    found: list[str] = []
    for key in keys if isinstance(keys, list) else []:
        if isinstance(key, dict):
            found += [m for m in SECRET_MEMBERS if m in key and m not in found]
    return found


def secret_problems(
    contents: Mapping[str, bytes],
    *,
    token_signatures: Sequence[str] = (),
    forbidden: Sequence[str] = (),
    allowed_signatures: Mapping[str, str] | None = None,
) -> list[str]:
    """One line per problem, naming the file and the kind of secret, never the secret itself.

    ``allowed_signatures`` maps a file name to the one signature it may hold (the expired token
    included on request).
    """
    allowed = allowed_signatures or {}
    problems: list[str] = []
    signatures = [s.encode("ascii", "replace") for s in token_signatures if s]
    secrets = [s.encode("utf-8") for s in forbidden if len(s) >= MIN_SECRET_CHARS]
    for name, data in contents.items():
        if pem.has_private_key(data):
            problems.append(f"{name} contains a PEM private key")
        if name.endswith("jwks.json"):
            members = _jwks_private_members(data)
            if members:
                problems.append(f"{name} contains private key members ({', '.join(members)})")
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
) -> None:
    problems = secret_problems(contents, token_signatures=token_signatures, forbidden=forbidden, allowed_signatures=allowed_signatures)
    if problems:
        raise BundleError(
            "refusing to write the bundle, it would leak a secret: " + "; ".join(problems) + ". Nothing was written",
            code="secret_in_bundle",
        )
