"""Obtain sample tokens from the token endpoint with authlib's OAuth 2 client.

The async flavour of authlib's httpx client is used so that the same total deadline as the fetcher
(``asyncio.timeout``) bounds the whole grant. Failures come back as ``TokenRequestFailure`` whose
detail is scrubbed of the secret and the password, whatever the server echoes.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import warnings
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus

import httpx
from authlib.integrations.base_client import OAuthError

from oidc_validator.errors import ValidatorError
from oidc_validator.model.context import SampleToken, TokenKind, TokenRequestFailure
from oidc_validator.net.fetch import USER_AGENT, client_settings, one_line, url_problem
from oidc_validator.net.options import FetchOptions, GrantRequest

with warnings.catch_warnings():
    # authlib 1.9 warns on import when it uses httpx rather than its httpx2 fork; httpx is what this project pins.
    warnings.simplefilter("ignore")
    from authlib.integrations.httpx_client import AsyncOAuth2Client

TOKEN_FIELDS: tuple[TokenKind, ...] = ("access_token", "id_token")


class _Refused(ValidatorError):
    """The token response was refused before it was read (too large); the run reports it as data."""

    code = "token_response_too_large"


def scrub(text: str, secrets: Iterable[str | None]) -> str:
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def secret_forms(grant: GrantRequest) -> list[str]:
    """Every form in which the secrets travel, so an IdP echoing its request cannot leak them either."""
    forms: list[str] = []
    for secret in (grant.client_secret, grant.password):
        if secret:
            forms += [secret, quote_plus(secret), quote(secret)]
    if grant.client_secret:
        # A secret outside latin-1 cannot travel in a Basic header (authlib fails first), so there is nothing to hide.
        with contextlib.suppress(UnicodeEncodeError):
            forms.append(base64.b64encode(f"{grant.client_id}:{grant.client_secret}".encode("latin1")).decode())
    return forms


async def _size_guard(response: httpx.Response, max_body_bytes: int) -> None:
    declared = response.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_body_bytes:
        raise _Refused(f"token response of {declared} bytes is over the {max_body_bytes}-byte limit")


async def _request(token_endpoint: str, grant: GrantRequest, options: FetchOptions) -> dict[str, Any]:
    async def guard(response: httpx.Response) -> None:
        await _size_guard(response, options.max_body_bytes)

    client = AsyncOAuth2Client(
        client_id=grant.client_id,
        client_secret=grant.client_secret,
        # A public client (password grant without a secret) authenticates with its client_id only.
        token_endpoint_auth_method="client_secret_basic" if grant.client_secret else "none",
        scope=grant.scope,
        **client_settings(options),
        headers={"User-Agent": USER_AGENT},
        event_hooks={"response": [guard]},
    )
    async with client:
        if grant.grant == "password":
            token = await client.fetch_token(token_endpoint, grant_type="password", username=grant.username, password=grant.password)
        else:
            token = await client.fetch_token(token_endpoint, grant_type="client_credentials")
    return dict(token)


def _describe(exc: BaseException, options: FetchOptions) -> str:
    if isinstance(exc, OAuthError):
        description = f": {exc.description}" if getattr(exc, "description", None) else ""
        return f"the token endpoint refused the request: {exc.error}{description}"
    if isinstance(exc, httpx.HTTPStatusError):
        return f"the token endpoint answered HTTP {exc.response.status_code}"
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        return f"no answer from the token endpoint within the {options.total_timeout_seconds:g} s total timeout"
    if isinstance(exc, ValueError):  # authlib: the answer is not a JSON object
        return f"the token endpoint did not answer JSON ({exc})"
    if isinstance(exc, httpx.HTTPError):
        return f"could not reach the token endpoint: {exc or type(exc).__name__}"
    return f"{type(exc).__name__}: {exc}"


async def _obtain(token_endpoint: str, grant: GrantRequest, options: FetchOptions) -> dict[str, Any]:
    async with asyncio.timeout(options.total_timeout_seconds):
        return await _request(token_endpoint, grant, options)


Obtained = tuple[tuple[SampleToken, ...], tuple[TokenRequestFailure, ...]]


def obtain_tokens(token_endpoint: str, grant: GrantRequest, options: FetchOptions) -> Obtained:
    """Run the grant; every JWT returned (access and ID token) becomes a SampleToken."""
    secrets = secret_forms(grant)
    problem = url_problem(token_endpoint)
    if problem is not None:
        return (), (TokenRequestFailure(grant.grant, f"the token endpoint cannot be requested: {problem}"),)
    try:
        response = asyncio.run(_obtain(token_endpoint, grant, options))
    except (_Refused, OAuthError, httpx.HTTPError, TimeoutError, ValueError, OSError) as exc:
        detail = _describe(exc, options) if not isinstance(exc, _Refused) else str(exc)
        return (), (TokenRequestFailure(grant.grant, one_line(scrub(detail, secrets))),)
    except Exception as exc:
        # As with fetching: whatever the endpoint provokes is reported, never raised.
        detail = f"unexpected {type(exc).__name__}: {exc}"
        return (), (TokenRequestFailure(grant.grant, one_line(scrub(detail, secrets))),)
    source = f"{grant.grant.replace('_', ' ')} grant for {grant.username or grant.client_id}"
    tokens = tuple(
        SampleToken(response[kind], kind, source) for kind in TOKEN_FIELDS if isinstance(response.get(kind), str) and response[kind]
    )
    if not tokens:
        fields = ", ".join(sorted(response)) or "nothing"
        return (), (TokenRequestFailure(grant.grant, one_line(f"the token endpoint answered without an access_token (fields: {fields})")),)
    return tokens, ()
