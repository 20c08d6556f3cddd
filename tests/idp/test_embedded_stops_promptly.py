"""`running()` stops its server at once: open keep-alive connections are closed, the port is released."""

from __future__ import annotations

import socket
import threading

import httpx
import pytest

from oidc_idp import running


def test_leaving_the_block_closes_a_client_keep_alive_connection_and_the_port() -> None:
    with httpx.Client(timeout=5) as client:
        with running() as idp:
            assert client.get(idp.jwks_uri).status_code == 200  # the connection stays open (keep-alive)
            port = idp.port
        assert not any(t.name == "oidc-idp" and t.is_alive() for t in threading.enumerate())
        with pytest.raises(httpx.TransportError):
            client.get(f"http://127.0.0.1:{port}/jwks")
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass
