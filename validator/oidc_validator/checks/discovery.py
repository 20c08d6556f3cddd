"""Discovery: {issuer}/.well-known/openid-configuration answers with a usable provider metadata document."""

from __future__ import annotations

from collections.abc import Iterator

from oidc_validator.checks.base import CATALOGUE, effective_issuer, fetch_failure, parsed_tokens, token_label, url_kind
from oidc_validator.crypto.jose import is_asymmetric_alg
from oidc_validator.model.context import Context
from oidc_validator.model.findings import Finding, Severity

AREA = "discovery"

NOT_CHECKED = CATALOGUE.register(
    "discovery_not_checked",
    Severity.INFO,
    AREA,
    "The discovery document was not fetched, so the issuer, jwks_uri and endpoints were not cross-checked.",
    "Give --issuer (the validator fetches {issuer}/.well-known/openid-configuration) to check them.",
)
FETCH_FAILED = CATALOGUE.register(
    "discovery_fetch_failed",
    Severity.ERROR,
    AREA,
    "The discovery document could not be fetched or read (the evidence's kind says why).",
    "Make {issuer}/.well-known/openid-configuration answer with the provider metadata JSON.",
)
NOT_OBJECT = CATALOGUE.register(
    "discovery_not_object",
    Severity.ERROR,
    AREA,
    "The discovery document is JSON but not a JSON object (OpenID Connect Discovery section 4.2).",
    "Serve the provider metadata as a JSON object at {issuer}/.well-known/openid-configuration.",
)
ISSUER_MISSING = CATALOGUE.register(
    "discovery_issuer_missing",
    Severity.ERROR,
    AREA,
    "The discovery document has no issuer (REQUIRED, OpenID Connect Discovery section 3).",
    "Configure the IdP so its metadata states its issuer; check that the URL is the IdP's discovery document.",
)
JWKS_URI_MISSING = CATALOGUE.register(
    "discovery_jwks_uri_missing",
    Severity.ERROR,
    AREA,
    "The discovery document has no jwks_uri (REQUIRED, OpenID Connect Discovery section 3).",
    "Publish the signing keys and advertise their URL as jwks_uri, or give --jwks-url.",
)
ENDPOINT_INVALID = CATALOGUE.register(
    "discovery_endpoint_invalid",
    Severity.ERROR,
    AREA,
    "A URL in the discovery document is not an absolute http(s) URL.",
    "Fix the IdP's metadata so every endpoint is an absolute https URL.",
)
ENDPOINT_HTTP = CATALOGUE.register(
    "discovery_endpoint_http",
    Severity.ERROR,
    AREA,
    "A URL in the discovery document uses plain http (OpenID Connect Discovery section 3 requires https).",
    "Serve the endpoint over https and advertise the https URL (check the IdP's frontend/hostname setting behind a proxy).",
)
ENDPOINT_HTTP_LOOPBACK = CATALOGUE.register(
    "discovery_endpoint_http_loopback",
    Severity.WARNING,
    AREA,
    "A URL in the discovery document is http on a loopback host: fine for a local self-check, but Qualys cannot reach it.",
    "For the real onboarding the endpoints must be public https URLs.",
)
ALG_NOT_ADVERTISED = CATALOGUE.register(
    "discovery_alg_not_advertised",
    Severity.WARNING,
    AREA,
    "The token's alg is not in the discovery document's id_token_signing_alg_values_supported.",
    "Check the IdP's signing algorithm setting: tokens should be signed with an advertised asymmetric algorithm.",
)
JWKS_URL_DIFFERS = CATALOGUE.register(
    "jwks_url_differs_from_discovery",
    Severity.WARNING,
    AREA,
    "The --jwks-url given differs from the discovery document's jwks_uri.",
    "Send the jwks_uri the discovery document advertises unless you know the IdP serves the same keys at both.",
)


def check_discovery_fetched(ctx: Context) -> Iterator[Finding]:
    """OpenID Connect Discovery section 4: the configuration is a JSON object fetched over TLS from the issuer."""
    fetched = ctx.observations.discovery
    if fetched is None:
        issuer = effective_issuer(ctx)
        yield NOT_CHECKED.finding("The discovery document was not fetched.", issuer=issuer)
        return
    if not fetched.ok:
        yield fetch_failure(FETCH_FAILED, "the discovery document", fetched)
        return
    if not isinstance(fetched.json, dict):
        yield NOT_OBJECT.finding(f"The discovery document at {fetched.url} is a JSON {type(fetched.json).__name__}.", url=fetched.url)


def check_discovery_members(ctx: Context) -> Iterator[Finding]:
    """OpenID Connect Discovery section 3: issuer and jwks_uri are REQUIRED; every URL uses https."""
    fetched = ctx.observations.discovery
    if fetched is None or not fetched.ok or not isinstance(fetched.json, dict):
        return
    doc = fetched.json
    if not isinstance(doc.get("issuer"), str) or not doc.get("issuer"):
        yield ISSUER_MISSING.finding(f"The discovery document at {fetched.url} has no issuer.", url=fetched.url, member="issuer")
    if "jwks_uri" not in doc:
        yield JWKS_URI_MISSING.finding(f"The discovery document at {fetched.url} has no jwks_uri.", url=fetched.url, member="jwks_uri")
    by_kind: dict[str, dict[str, object]] = {"http": {}, "http_loopback": {}}
    for member in sorted(m for m in doc if m == "jwks_uri" or m.endswith("_endpoint")):
        value = doc[member]
        kind = url_kind(value)
        if kind == "invalid":
            yield ENDPOINT_INVALID.finding(
                f"The discovery document's {member} is not an absolute URL: {value!r}.", member=member, value=value
            )
        elif kind in by_kind:
            by_kind[kind][member] = value
    # One finding per cause: an IdP served over http (a local Keycloak) has it on every endpoint, and eleven
    # copies of one fix bury the findings that differ. The endpoints are the evidence.
    for kind, code, what in (("http", ENDPOINT_HTTP, "uses plain http"), ("http_loopback", ENDPOINT_HTTP_LOOPBACK, "is http on loopback")):
        endpoints = by_kind[kind]
        if endpoints:
            names = ", ".join(endpoints)
            subject = f"The discovery document's {names}" if len(endpoints) == 1 else f"{len(endpoints)} discovery endpoints ({names})"
            verb = what if len(endpoints) == 1 else what.replace("uses", "use").replace("is ", "are ")
            first = next(iter(endpoints))
            yield code.finding(
                f"{subject} {verb}: {endpoints[first]}{' ...' if len(endpoints) > 1 else ''}.", endpoints=endpoints, members=list(endpoints)
            )


def check_alg_advertised(ctx: Context) -> Iterator[Finding]:
    """OpenID Connect Discovery section 3: id_token_signing_alg_values_supported lists the algorithms the IdP signs with."""
    fetched = ctx.observations.discovery
    if fetched is None or not fetched.ok or not isinstance(fetched.json, dict):
        return
    advertised = fetched.json.get("id_token_signing_alg_values_supported")
    if not isinstance(advertised, list):
        return
    for token, jws in parsed_tokens(ctx):
        alg = jws.header.get("alg")
        # A none/HS*/unknown alg is already an error of its own; advertising is about the asymmetric ones.
        if is_asymmetric_alg(alg) and alg not in advertised:
            yield ALG_NOT_ADVERTISED.finding(
                f"The {token_label(token)} is signed with {alg}, which discovery does not advertise ({advertised}).",
                token=token_label(token),
                alg=alg,
                advertised=advertised,
            )


def check_jwks_url_matches_discovery(ctx: Context) -> Iterator[Finding]:
    """OpenID Connect Discovery section 3: jwks_uri is where the IdP's signing keys are published."""
    fetched, given = ctx.observations.discovery, ctx.inputs.jwks_url
    if not given or fetched is None or not fetched.ok or not isinstance(fetched.json, dict):
        return
    advertised = fetched.json.get("jwks_uri")
    if isinstance(advertised, str) and advertised != given:
        yield JWKS_URL_DIFFERS.finding(
            f"--jwks-url {given} differs from discovery's jwks_uri {advertised}.", expected=advertised, actual=given, flag="--jwks-url"
        )
