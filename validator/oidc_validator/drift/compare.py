"""The drift checks: each a pure function of the onboarded package, the live observations and ``now``.

They are registered in ``DRIFT_CHECKS``; every one runs, and every finding is kept. None reads the
clock: ``now`` is the run's (``--now``, or the system clock read once by the CLI).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from oidc_validator.bundle.material import jwks_key_list
from oidc_validator.bundle.sample import DecodedSample, choose_sample
from oidc_validator.crypto.certs import same_public_key
from oidc_validator.crypto.jwk import why_not_signing
from oidc_validator.drift import codes
from oidc_validator.drift.package import Onboarded
from oidc_validator.model.context import Context, Fetched
from oidc_validator.model.findings import Finding


@dataclass(frozen=True)
class Live:
    """What the IdP shows now: discovery, the key set, and the sample token's decoded parts (never its signature)."""

    discovery: Mapping[str, Any] | None
    discovery_problem: str | None
    jwks_url: str | None
    keys: tuple[Mapping[str, Any], ...] | None  # None: the key set could not be fetched
    jwks_problem: str | None
    token: DecodedSample | None
    now: datetime

    def signing_kids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(str(k["kid"]) for k in self.keys or () if isinstance(k.get("kid"), str) and why_not_signing(k) is None))

    def published_kids(self) -> tuple[str, ...]:
        """Every kid the JWKS publishes, in its order; a kid that is not a string (a hostile JWKS's list or object) names nothing."""
        return tuple(dict.fromkeys(k["kid"] for k in self.keys or () if isinstance(k.get("kid"), str)))

    def keys_by_kid(self, kid: str) -> list[Mapping[str, Any]]:
        return [k for k in self.keys or () if k.get("kid") == kid]

    @property
    def token_kid(self) -> str | None:
        kid = self.token.header.get("kid") if self.token is not None else None
        return kid if isinstance(kid, str) else None


def _problem(fetched: Fetched | None, what: str) -> str | None:
    if fetched is None:
        return f"no {what} URL is known"
    if not fetched.ok:
        return f"{fetched.error}: {fetched.error_detail}" if fetched.error_detail else str(fetched.error)
    return None


def live_from_context(ctx: Context) -> Live:
    seen = ctx.observations
    discovery = seen.discovery.json if seen.discovery is not None and seen.discovery.ok and isinstance(seen.discovery.json, dict) else None
    jwks = seen.jwks.json if seen.jwks is not None and seen.jwks.ok else None
    keys = tuple(jwks_key_list(jwks)) if isinstance(jwks, dict) and isinstance(jwks.get("keys"), list) else None
    jwks_problem = _problem(seen.jwks, "JWKS") or (None if keys is not None else 'the answer is not {"keys": [...]}')
    return Live(discovery, _problem(seen.discovery, "discovery"), seen.jwks_url_used, keys, jwks_problem, choose_sample(ctx), ctx.now)


@dataclass(frozen=True)
class Comparison:
    before: Onboarded
    live: Live
    warn_within: timedelta


DriftCheck = Callable[[Comparison], Iterable[Finding]]


def check_token_kid(c: Comparison) -> Iterable[Finding]:
    """The token's kid must name a key Qualys has: a pinned certificate for OIDC, or a key the JWKS URL publishes (RFC 7515 4.1.4)."""
    kid = c.live.token_kid
    if kid is None:
        return
    if c.before.key_source == "certificates":
        if kid not in c.before.oidc_kids:
            yield codes.TOKEN_KID_NOT_PINNED.finding(
                f"Tokens are signed under kid {kid!r}, which the onboarded package does not pin (it pins {', '.join(c.before.oidc_kids)}).",
                kid=kid,
                pinned_kids=list(c.before.oidc_kids),
            )
    elif c.live.keys is not None and kid not in c.live.published_kids():
        yield codes.TOKEN_KID_NOT_PUBLISHED.finding(
            f"Tokens are signed under kid {kid!r}, which the JWKS at {c.live.jwks_url} does not publish.",
            kid=kid,
            jwks_kids=list(c.live.published_kids()),
        )


def check_pinned_keys_published(c: Comparison) -> Iterable[Finding]:
    """A JWKS with none of the pinned kids means the IdP signs with unpinned keys only (RFC 7517 section 5: the set is the IdP's keys)."""
    if c.before.key_source != "certificates" or c.live.keys is None or not c.before.oidc_kids:
        return
    if c.live.token_kid in c.before.oidc_kids:
        return  # a token still signed under a pinned key outweighs what the JWKS suggests: Qualys accepts it
    if not set(c.live.published_kids()) & set(c.before.oidc_kids):
        signing = c.live.signing_kids()
        yield codes.NO_PINNED_KEY_PUBLISHED.finding(
            f"None of the kids the package pins ({', '.join(c.before.oidc_kids)}) is in the JWKS any more; "
            f"it publishes {', '.join(signing) if signing else 'no signing key'}.",
            pinned_kids=list(c.before.oidc_kids),
            jwks_signing_kids=list(signing),
        )


def check_pinned_keys(c: Comparison) -> Iterable[Finding]:
    """A pinned certificate's key must still be the key its kid names in the JWKS."""
    for pinned in c.before.certificates:
        changed = [k for k in c.live.keys_by_kid(pinned.kid) if not same_public_key(pinned.certificate, k)]
        if changed:
            yield codes.PINNED_KEY_CHANGED.finding(
                f"kid {pinned.kid!r} now names another public key in the JWKS than the certificate {pinned.file} pins.",
                kid=pinned.kid,
                file=pinned.file,
            )


def check_issuer(c: Comparison) -> Iterable[Finding]:
    """iss must equal the onboarded issuer exactly (OpenID Connect Discovery 1.0 section 4.3; RFC 7519 4.1.1)."""
    onboarded = c.before.issuer
    if onboarded is None:
        return
    discovered = c.live.discovery.get("issuer") if c.live.discovery is not None else None
    # A discovery issuer that already differed at onboarding (a multi-tenant template, written with --allow-errors) has
    # not changed: the package lists that error, and the tokens' iss below is what Qualys compares.
    if isinstance(discovered, str) and discovered not in (onboarded, c.before.discovered_issuer):
        yield codes.ISSUER_CHANGED.finding(
            f"Discovery now says issuer {discovered!r}; the package onboarded {onboarded!r}.",
            onboarded=onboarded,
            live=discovered,
            where="discovery",
        )
    iss = c.live.token.claims.get("iss") if c.live.token is not None else None
    if iss is not None and iss != onboarded and iss != discovered:
        yield codes.ISSUER_CHANGED.finding(
            f"Tokens now carry iss {iss!r}; the package onboarded {onboarded!r}.", onboarded=onboarded, live=iss, where="token"
        )


def check_jwks_uri(c: Comparison) -> Iterable[Finding]:
    """Qualys polls the JWKS URL it was given; discovery's jwks_uri (Discovery 1.0 section 3) must still be that URL."""
    onboarded = c.before.jwks_url
    announced = c.live.discovery.get("jwks_uri") if c.live.discovery is not None else None
    if c.before.key_source == "jwks_url" and onboarded is not None and isinstance(announced, str) and announced != onboarded:
        yield codes.JWKS_URI_CHANGED.finding(
            f"Discovery now announces jwks_uri {announced!r}; Qualys polls {onboarded!r}.", onboarded=onboarded, live=announced
        )


def check_audience(c: Comparison) -> Iterable[Finding]:
    """aud must hold one of the audiences Qualys accepts (RFC 7519 4.1.3)."""
    if c.live.token is None or not c.before.audiences:
        return
    aud = c.live.token.claims.get("aud")
    given = [aud] if isinstance(aud, str) else [a for a in aud if isinstance(a, str)] if isinstance(aud, list) else []
    if not set(given) & set(c.before.audiences):
        yield codes.AUDIENCE_CHANGED.finding(
            f"Tokens now carry aud {given or aud!r}; the package onboarded {', '.join(c.before.audiences)}.",
            onboarded=list(c.before.audiences),
            live=given,
        )


def check_certificate_expiry(c: Comparison) -> Iterable[Finding]:
    """RFC 5280 4.1.2.5: a certificate verifies nothing after notAfter; warn ``warn_within`` ahead."""
    for pinned in c.before.certificates:
        if not pinned.use_for_oidc:
            continue
        not_after = pinned.certificate.not_valid_after_utc
        date = not_after.isoformat().replace("+00:00", "Z")
        if c.live.now > not_after:
            yield codes.CERTIFICATE_EXPIRED.finding(
                f"The pinned certificate of kid {pinned.kid!r} ({pinned.file}) expired on {date}.", kid=pinned.kid, not_after=date
            )
        elif not_after - c.live.now <= c.warn_within:
            days = (not_after - c.live.now).days
            yield codes.CERTIFICATE_EXPIRING.finding(
                f"The pinned certificate of kid {pinned.kid!r} ({pinned.file}) expires on {date}, in {days} day(s).",
                kid=pinned.kid,
                not_after=date,
                days_left=days,
            )


def check_new_keys(c: Comparison) -> Iterable[Finding]:
    """New signing keys: a warning when certificates are pinned (the first token under one fails), else informational."""
    new = [kid for kid in c.live.signing_kids() if kid not in c.before.kids]
    if c.before.key_source == "certificates":
        # The kid tokens are signed under already has its error (check_token_kid).
        for kid in (k for k in new if k != c.live.token_kid):
            yield codes.NEW_KEY_NOT_PINNED.finding(
                f"The JWKS publishes signing key {kid!r}, which the package does not pin; no sample token uses it yet.", kid=kid
            )
    elif new:
        yield codes.ROTATION_FOLLOWED.finding(
            f"The JWKS publishes {len(new)} key(s) that were not there at onboarding ({', '.join(new)}); "
            "Qualys polls the JWKS URL and follows.",
            kids=new,
        )


def check_removed_keys(c: Comparison) -> Iterable[Finding]:
    if c.live.keys is None:
        return
    published = set(c.live.published_kids())
    for kid in c.before.kids:
        if kid not in published:
            yield codes.KEY_REMOVED.finding(f"kid {kid!r}, in the package, is no longer in the JWKS.", kid=kid)


def check_reachable(c: Comparison) -> Iterable[Finding]:
    if c.live.keys is None:
        code = codes.JWKS_UNREACHABLE if c.before.key_source == "jwks_url" else codes.JWKS_UNOBSERVED
        yield code.finding(f"The JWKS could not be read: {c.live.jwks_problem}.", url=c.live.jwks_url, problem=c.live.jwks_problem)
    if c.live.discovery is None and c.before.issuer is not None:
        yield codes.DISCOVERY_UNREACHABLE.finding(
            f"Discovery could not be read: {c.live.discovery_problem}.", problem=c.live.discovery_problem
        )


DRIFT_CHECKS: tuple[DriftCheck, ...] = (
    check_reachable,
    check_token_kid,
    check_pinned_keys_published,
    check_pinned_keys,
    check_issuer,
    check_jwks_uri,
    check_audience,
    check_certificate_expiry,
    check_new_keys,
    check_removed_keys,
)


def compare(before: Onboarded, live: Live, *, warn_days: int) -> list[Finding]:
    comparison = Comparison(before, live, timedelta(days=warn_days))
    return [finding for check in DRIFT_CHECKS for finding in check(comparison)]
