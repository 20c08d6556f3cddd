"""`running()` stops its server at once: open keep-alive connections are closed, the port is released."""

from __future__ import annotations

import socket
import threading

import httpx
import pytest

from oidc_idp import running


def test_leaving_the_block_closes_a_client_keep_alive_connection_and_the_port() -> None:
    before = set(threading.enumerate())  # other tests' servers (a session fixture) may be running
    with httpx.Client(timeout=5) as client:
        with running() as idp:
            assert client.get(idp.jwks_uri).status_code == 200  # the connection stays open (keep-alive)
            port = idp.port
            (server_thread,) = [t for t in threading.enumerate() if t.name == "oidc-idp" and t not in before]
        assert not server_thread.is_alive()
        with pytest.raises(httpx.TransportError):
            client.get(f"http://127.0.0.1:{port}/jwks")
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass
