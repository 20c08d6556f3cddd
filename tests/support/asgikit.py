"""One request to an ASGI app in-process, from a synchronous test (a parametrised case, a hypothesis example).

An app crash comes back as the 500 the server would send (``raise_app_exceptions=False``), so a test
can assert it never happens rather than stop at the exception.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx


def request(app: Any, method: str, url: str, *, base_url: str = "http://testserver", **kwargs: Any) -> httpx.Response:
    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            return await client.request(method, url, **kwargs)

    return asyncio.run(call())
