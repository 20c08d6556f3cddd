"""The sample token as the bundle carries it: decoded header and claims, never the signature.

Support reads ``iss`` and ``aud`` from a sample token, so its decoded parts are enough. The
whole token is only ever included on request and only once expired: a live token is a
credential that calls Qualys APIs as the user until it expires.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import jwt

from oidc_validator.bundle.errors import BundleError
from oidc_validator.bundle.limits import TOKEN_LEEWAY_SECONDS
from oidc_validator.model.context import Context, SampleToken

# The token the user gave is what they mean to onboard; otherwise the access token is what calls APIs.
_PREFERENCE = {"given": 0, "access_token": 1, "id_token": 2}
MIN_SIGNATURE_CHARS = 16  # shorter segments (e.g. alg none) would match innocent text in a scan


@dataclass(frozen=True)
class DecodedSample:
    token: SampleToken = field(repr=False)
    header: dict[str, Any]
    claims: dict[str, Any]

    @property
    def signature_segment(self) -> str:
        return signature_segment(self.token.raw)


def signature_segment(raw: str) -> str:
    parts = raw.strip().split(".")
    return parts[2] if len(parts) == 3 else ""


def decode(token: SampleToken) -> DecodedSample | None:
    """Header and claims without verification (the checks verify); None when it is not a decodable JWS."""
    try:
        # Without signature verification PyJWT validates no claim either: an expired token still decodes.
        complete = jwt.decode_complete(token.raw.strip(), options={"verify_signature": False})
        header, claims = complete["header"], complete["payload"]
    except (jwt.exceptions.PyJWTError, ValueError, TypeError):
        return None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        return None
    return DecodedSample(token, dict(header), dict(claims))


def choose_sample(ctx: Context) -> DecodedSample | None:
    decoded = [d for d in (decode(t) for t in ctx.inputs.tokens) if d is not None]
    decoded.sort(key=lambda d: _PREFERENCE.get(d.token.kind, 9))
    return decoded[0] if decoded else None


def expiry(claims: dict[str, Any]) -> float | None:
    exp = claims.get("exp")
    if isinstance(exp, bool) or not isinstance(exp, int | float) or not math.isfinite(exp):
        return None  # NaN compares false with every time, so it would pass for expired: treat it as no exp
    return float(exp)


def is_expired(claims: dict[str, Any], now: datetime) -> bool:
    exp = expiry(claims)
    return exp is not None and exp <= now.timestamp()


def is_live(claims: Mapping[str, Any], moments: Sequence[datetime]) -> bool:
    """Whether a token with these claims could still be used at any of ``moments``.

    A relying party accepts a token up to TOKEN_LEEWAY_SECONDS past exp (the stand-in does), so only a
    token that far past exp at every moment is dead; no numeric exp means it may never expire. The
    moments are --now and the real clock: --now in the future must not make a live token look expired.
    """
    exp = expiry(dict(claims))
    return exp is None or any(exp + TOKEN_LEEWAY_SECONDS > moment.timestamp() for moment in moments)


def token_to_include(sample: DecodedSample | None, moments: Sequence[datetime]) -> str:
    """The whole sample token for --include-token, refused while it could still be used at any of ``moments``."""
    if sample is None:
        raise BundleError("--include-token: there is no decodable sample token to include", code="no_sample_token")
    exp = expiry(sample.claims)
    if exp is None:
        raise BundleError(
            "--include-token refused: the sample token has no numeric exp claim, so it may never expire; "
            "a live token is a credential (anyone holding it can call Qualys APIs as its user). "
            "The bundle carries its decoded header and claims, which is all Support needs",
            code="live_token_refused",
        )
    if is_live(sample.claims, moments):
        until = datetime.fromtimestamp(exp, UTC).isoformat() if exp < 253402300799 else str(exp)
        raise BundleError(
            f"--include-token refused: the sample token is still valid (exp {until}); tokens count as live until "
            f"{TOKEN_LEEWAY_SECONDS} s past exp by both the real clock and --now, and a live token is a credential "
            "(anyone holding it can call Qualys APIs as its user). Wait until it expires, or leave out --include-token: "
            "the bundle carries its decoded header and claims, which is all Support needs",
            code="live_token_refused",
        )
    return sample.token.raw.strip()


def signature_segments(tokens: Sequence[SampleToken]) -> list[str]:
    return [s for s in (signature_segment(t.raw) for t in tokens) if len(s) >= MIN_SIGNATURE_CHARS]
