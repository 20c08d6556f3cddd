"""Requests handed to authlib: a form the endpoint already parsed and size-capped."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from authlib.oauth2 import OAuth2Request
from authlib.oauth2.rfc6749.requests import OAuth2Payload


class _FormPayload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, form: dict[str, str]) -> None:
        self._form = form
        self._datalist: defaultdict[str, list[str]] = defaultdict(list, {k: [v] for k, v in form.items()})

    @property
    def data(self) -> dict[str, str]:
        return self._form

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class FormRequest(OAuth2Request):  # type: ignore[misc]
    """An already parsed form POST (the endpoint parsed and size-capped the body)."""

    def __init__(self, uri: str, headers: Mapping[str, str], form: dict[str, str], method: str = "POST") -> None:
        # A test IdP serves plain HTTP on purpose (TLS is opt-in with --tls); authlib's
        # https-only transport check is meant for production servers, so it is shown https.
        super().__init__(method, "https://" + uri.split("://", 1)[-1], headers=headers)
        self.payload = _FormPayload(form)
        self._form = form if method == "POST" else {}
        self._args = form if method == "GET" else {}

    @property
    def form(self) -> dict[str, str]:
        return self._form

    @property
    def args(self) -> dict[str, str]:
        return self._args
