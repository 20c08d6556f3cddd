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

from oidc_validator.model.context import SampleToken, TokenKind, TokenRequestFailure
from oidc_validator.net.connect import ConnectPolicy, FetchFailed, client_settings
from oidc_validator.net.fetch import ACCEPT_ENCODING, USER_AGENT, one_line, read_body, url_problem
from oidc_validator.net.options import FetchOptions, GrantRequest

with warnings.catch_warnings():
    # authlib 1.9 warns on import when it uses httpx rather than its httpx2 fork; httpx is what this project pins.
    warnings.simplefilter("ignore")
    from authlib.integrations.httpx_client import AsyncOAuth2Client

TOKEN_FIELDS: tuple[TokenKind, ...] = ("access_token", "id_token")


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


class _CappedBodies(httpx.AsyncBaseTransport):
    """Reads each answer through the fetcher's ``read_body`` before authlib sees it: the size cap then holds
    for chunked and compressed token responses too, which httpx would otherwise read (and decode) whole."""

    def __init__(self, inner: httpx.AsyncBaseTransport, max_body_bytes: int) -> None:
        self._inner = inner
        self._max_body_bytes = max_body_bytes

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        try:
            body = await read_body(response, self._max_body_bytes)
        finally:
            await response.aclose()
        # The body is now plain bytes: the headers that described its transfer would mislead httpx.
        headers = [
            (name, value)
            for name, value in response.headers.multi_items()
            if name.lower() not in ("content-encoding", "content-length", "transfer-encoding")
        ]
        return httpx.Response(response.status_code, headers=headers, content=body, extensions=response.extensions)

    async def aclose(self) -> None:
        await self._inner.aclose()


async def _request(token_endpoint: str, grant: GrantRequest, options: FetchOptions) -> dict[str, Any]:
    endpoint = httpx.URL(token_endpoint)
    # The grant carries the client secret or the password: over plain http, only to an address on this machine.
    policy = ConnectPolicy(trusted_host=endpoint.raw_host.decode("ascii"), loopback_only=endpoint.scheme == "http")
    settings = client_settings(options, policy)
    settings["transport"] = _CappedBodies(settings["transport"], options.max_body_bytes)
    client = AsyncOAuth2Client(
        client_id=grant.client_id,
        client_secret=grant.client_secret,
        # A public client (password grant without a secret) authenticates with its client_id only.
        token_endpoint_auth_method="client_secret_basic" if grant.client_secret else "none",
        scope=grant.scope,
        **settings,
        headers={"User-Agent": USER_AGENT, "Accept-Encoding": ACCEPT_ENCODING},
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
    except FetchFailed as failed:  # refused by the size cap or the connection policy, before or while reading
        detail = f"the token request was stopped: {failed.detail}"
        return (), (TokenRequestFailure(grant.grant, one_line(scrub(detail, secrets))),)
    except (OAuthError, httpx.HTTPError, TimeoutError, ValueError, OSError) as exc:
        detail = _describe(exc, options)
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
