"""The catalogue every check module registers into, and small pure helpers the checks share."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal
from urllib.parse import SplitResult, urlsplit

from oidc_validator.crypto.jose import CompactJws, JoseError, split_compact
from oidc_validator.model.context import Context, Fetched, SampleToken
from oidc_validator.model.findings import Catalogue, Code, Finding
from oidc_validator.net.urls import is_loopback_host

CATALOGUE = Catalogue()

Check = Callable[[Context], Iterable[Finding]]

UrlKind = Literal["https", "http_loopback", "http", "invalid"]


def split_url(url: str) -> SplitResult | None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        return None
    return parts


def url_kind(url: object) -> UrlKind:
    """Whether Qualys could use this URL: https anywhere, http only on loopback (for local self-checks)."""
    if not isinstance(url, str):
        return "invalid"
    parts = split_url(url)
    if parts is None or not parts.hostname or any(c.isspace() for c in url):
        return "invalid"
    if parts.scheme == "https":
        return "https"
    if parts.scheme == "http":
        return "http_loopback" if is_loopback_host(parts.hostname) else "http"
    return "invalid"


def token_label(token: SampleToken) -> str:
    """How findings name a token: its kind and origin, never its content ("given token from --token-file x.jwt")."""
    kind = "given token" if token.kind == "given" else token.kind
    return f"{kind} from {token.source}"


def parsed_tokens(ctx: Context) -> list[tuple[SampleToken, CompactJws]]:
    """The sample tokens that split as compact JWS; token.py reports the ones that do not."""
    result: list[tuple[SampleToken, CompactJws]] = []
    for token in ctx.inputs.tokens:
        try:
            result.append((token, split_compact(token.raw)))
        except JoseError:
            continue
    return result


def jwks_keys(ctx: Context) -> list[dict[str, Any]] | None:
    """The JWKS's key objects when a key set was fetched, else None (jwks.py reports why)."""
    fetched = ctx.observations.jwks
    if fetched is None or not fetched.ok or not isinstance(fetched.json, dict):
        return None
    keys = fetched.json.get("keys")
    if not isinstance(keys, list):
        return None
    return [k for k in keys if isinstance(k, dict)]


def key_where(index: int, key: Mapping[str, Any]) -> dict[str, Any]:
    """How findings name a JWKS key: its kid, else its position."""
    kid = key.get("kid")
    return {"kid": kid} if isinstance(kid, str) and kid else {"index": index}


def sample_token_kids(ctx: Context) -> set[str]:
    """The kids the sample tokens' headers name: the keys that demonstrably sign (RFC 7515 section 4.1.4)."""
    return {kid for _, jws in parsed_tokens(ctx) if isinstance(kid := jws.header.get("kid"), str) and kid}


def token_issuers(ctx: Context) -> list[str]:
    seen: list[str] = []
    for _, jws in parsed_tokens(ctx):
        iss = jws.payload.get("iss")
        if isinstance(iss, str) and iss and iss not in seen:
            seen.append(iss)
    return seen


def effective_issuer(ctx: Context) -> str | None:
    """The configured issuer, else the one the sample tokens agree on (Support reads it from a token)."""
    if ctx.inputs.issuer:
        return ctx.inputs.issuer
    found = token_issuers(ctx)
    return found[0] if len(found) == 1 else None


def short(value: Any, limit: int = 200) -> Any:
    """Keep evidence readable: long strings are cut (claims only; tokens never reach evidence)."""
    if isinstance(value, str) and len(value) > limit:
        return value[:limit] + "..."
    return value


# One fix per fetch failure kind; the message names the URL, the evidence carries kind and detail.
FETCH_FIXES: dict[str, str] = {
    "invalid_url": "Give an absolute https URL.",
    "connect": "Check the host name, port and firewall: the server refused or could not be reached (is the URL right?).",
    "timeout": "The server answered too slowly; check the URL and network path, or raise the timeout if the IdP is just slow.",
    "tls": "TLS verification failed: if the IdP uses a private CA, pass it with --ca-file; otherwise fix the server's certificate chain "
    "(Qualys verifies it too).",
    "too_many_redirects": "Point at the final URL directly; more than 3 redirects are not followed.",
    "redirect_to_http": "The https URL redirects to plain http, which is never followed: fix the redirect or use the final https URL.",
    "too_large": "The body is over the size cap: the URL probably serves something other than the expected JSON document.",
    "http_status": "The server answered with an error status: check the URL (path, realm or tenant name) and that the endpoint is public.",
    "wrong_content_type": "The server did not answer with application/json: the URL probably serves an HTML page (login or error page).",
    "not_json": "The body is not valid UTF-8 JSON: check that the URL serves the JSON document itself.",
}


def fetch_failure(code: Code, what: str, fetched: Fetched) -> Finding:
    """A failed fetch of ``what``, named with the URL, its failure kind and the fix for that kind."""
    kind = fetched.error or "unknown"
    return code.finding(
        f"Could not fetch {what} from {fetched.url}: {kind}" + (f" ({fetched.error_detail})." if fetched.error_detail else "."),
        fix=FETCH_FIXES.get(kind),
        url=fetched.url,
        kind=kind,
        detail=fetched.error_detail,
        status=fetched.status,
        content_type=fetched.content_type,
        redirects=list(fetched.redirects),
    )
