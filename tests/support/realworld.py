"""Replay published IdP documents over HTTPS at their real host names, on a loopback address.

``replay({url: (content_type, body)}, address="127.0.0.N", workdir=tmp)`` serves every document at its
exact URL: one TLS listener per port on ``address`` (port 443 for ordinary https URLs, as curl's --resolve
keeps the port), a certificate per host from a test CA (``oidc_idp.keys.tls.ensure_tls``), chosen by SNI.
It yields a ``Replay`` whose ``arguments()`` are the ``--resolve HOST:PORT:ADDRESS`` and ``--ca-file``
flags that make ``oidc-validator`` reach those hosts there, so the issuer stays exact.

A corpus case is a folder ``<case>/case.json`` (issuer, audience, now, token_file, expected_exit,
expected_errors, why, documents {url: file name, or {"file": ..., "content_type": ...}}; optionally
entity_id, else the issuer is sent as the Entity ID); ``load_case`` reads one and ``run_case`` replays it
through the real CLI (``check --issuer --entity-id --now [--audience] [--token-file] --resolve ... --ca-file``)
and returns the exit code and the error codes.

Tests run as root here and in CI, so binding port 443 works; when it does not, the test fails with the
reason (never skips), since a skipped replay would pass a corpus nobody checked.
"""

from __future__ import annotations

import contextlib
import io
import json
import ssl
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from oidc_idp.keys.tls import ensure_tls

Documents = Mapping[str, tuple[str, bytes]]  # url -> (Content-Type, body)
DEFAULT_CONTENT_TYPE = "application/json"


@dataclass(frozen=True)
class Replay:
    """Where the documents are served: the validator flags that reach them, and the CA that signed their hosts."""

    resolve: tuple[str, ...]  # HOST:PORT:ADDRESS, one per served host and port
    ca_file: Path

    def arguments(self) -> list[str]:
        flags = [part for entry in self.resolve for part in ("--resolve", entry)]
        # Only https hosts have a CA: a replay of plain-http documents alone passes none.
        return [*flags, "--ca-file", str(self.ca_file)] if self.ca_file.stat().st_size else flags


def _origin(url: str) -> tuple[str, str, int, str]:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"only http(s) URLs are replayed: {url}")
    path = parts.path or "/"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme, parts.hostname.lower(), port, path + (f"?{parts.query}" if parts.query else "")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    routes: dict[tuple[str, str], tuple[str, bytes]]  # (host, path?query) -> document


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0].lower()
        found = self.server.routes.get((host, self.path))
        content_type, body = found if found else ("text/plain", b"not in this replay\n")
        self.send_response(200 if found else 404)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: pytest shows failures, not access logs


def _tls_contexts(hosts: Sequence[str], workdir: Path) -> tuple[dict[str, ssl.SSLContext], dict[str, tuple[Path, Path]], Path]:
    """One server context and certificate chain per host (its own test CA), and one file holding every CA, for --ca-file."""
    contexts: dict[str, ssl.SSLContext] = {}
    chains: dict[str, tuple[Path, Path]] = {}
    bundle = workdir / "replay-ca.pem"
    pems: list[bytes] = []
    for host in hosts:
        # The certificates are checked by OpenSSL against the wall clock, not --now: issue them for today.
        files = ensure_tls(workdir / "tls" / host, host, datetime.now(UTC))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(files.cert_file, files.key_file)
        contexts[host] = context
        chains[host] = (files.cert_file, files.key_file)
        pems.append(files.ca_file.read_bytes())
    bundle.write_bytes(b"".join(pems))
    return contexts, chains, bundle


@contextlib.contextmanager
def replay(documents: Documents, *, address: str, workdir: Path) -> Iterator[Replay]:
    """Serve ``documents`` at their URLs on ``address`` over TLS; yields the flags that reach them (see the module doc)."""
    routes: dict[tuple[int, str], dict[tuple[str, str], tuple[str, bytes]]] = {}
    for url, document in documents.items():
        scheme, host, port, path = _origin(url)
        routes.setdefault((port, scheme), {})[(host, path)] = document
    hosts = sorted({host for (_, scheme), served in routes.items() if scheme == "https" for host, _ in served})
    contexts, chains, ca_file = _tls_contexts(hosts, workdir)
    servers: list[_Server] = []
    try:
        for (port, scheme), served in sorted(routes.items()):
            listener = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            first = next(iter(served))[0]
            if scheme == "https":  # a local IdP on plain http (Keycloak's dev mode) is replayed as it is
                listener.load_cert_chain(*chains[first])

            def choose(sock: ssl.SSLObject | ssl.SSLSocket, name: str | None, _: ssl.SSLContext) -> None:
                # SNI picks the host's certificate; an unknown name gets the default one, and fails verification.
                if name and name.lower() in contexts:
                    sock.context = contexts[name.lower()]

            listener.sni_callback = choose
            try:
                server = _Server((address, port), _Handler, bind_and_activate=False)
                server.server_bind()
                server.server_activate()
            except OSError as exc:
                pytest.fail(f"cannot listen on {address}:{port} for the replay ({exc}); the replay needs port {port} (run as root)")
            if scheme == "https":
                server.socket = listener.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=True)
            server.routes = served
            servers.append(server)
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        resolve = tuple(
            f"{host}:{port}:{address}" for (port, _), served in sorted(routes.items()) for host in sorted({h for h, _ in served})
        )
        yield Replay(resolve, ca_file)
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


# -- corpus cases -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One captured IdP (tests/data/realworld/<case>/case.json) and the verdict the validator must reach on it."""

    name: str
    folder: Path
    issuer: str
    entity_id: str  # case.json's entity_id, else the issuer (the usual choice, so a case is not judged on a missing one)
    audience: str | None
    now: str
    token_file: Path | None
    expected_exit: int
    expected_errors: frozenset[str]
    why: str
    documents: Mapping[str, tuple[str, bytes]]


def load_case(case_json: Path) -> Case:
    folder = case_json.parent
    spec = json.loads(case_json.read_text(encoding="utf-8"))
    documents: dict[str, tuple[str, bytes]] = {}
    for url, entry in spec["documents"].items():
        name, content_type = (entry, DEFAULT_CONTENT_TYPE) if isinstance(entry, str) else (entry["file"], entry.get("content_type"))
        documents[url] = (content_type or DEFAULT_CONTENT_TYPE, (folder / name).read_bytes())
    return Case(
        name=folder.name,
        folder=folder,
        issuer=spec["issuer"],
        entity_id=spec.get("entity_id") or spec["issuer"],
        audience=spec.get("audience"),
        now=spec["now"],
        token_file=folder / spec["token_file"] if spec.get("token_file") else None,
        expected_exit=int(spec["expected_exit"]),
        expected_errors=frozenset(spec.get("expected_errors", ())),
        why=spec.get("why", ""),
        documents=documents,
    )


def case_paths(root: Path) -> list[Path]:
    """Every case.json under ``root`` (none when the folder does not exist: an empty corpus collects no case)."""
    return sorted(root.glob("*/case.json")) if root.is_dir() else []


@dataclass(frozen=True)
class Verdict:
    exit_code: int
    errors: frozenset[str]
    report: Mapping[str, Any]


def run_check(arguments: Sequence[str]) -> Verdict:
    """``oidc-validator check ... --format json`` in this process (the replay's threads serve it)."""
    from oidc_validator.cli.main import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["check", *arguments, "--format", "json"])
    report: dict[str, Any] = json.loads(out.getvalue()) if out.getvalue().strip() else {}
    errors = frozenset(f["code"] for f in report.get("findings", ()) if f["severity"] == "error")
    return Verdict(code, errors, report)


def run_case(case: Case, *, address: str, workdir: Path) -> Verdict:
    """Replay ``case``'s documents and run ``check`` on them exactly as a user would against the live IdP."""
    arguments = ["--issuer", case.issuer, "--entity-id", case.entity_id, "--now", case.now]
    if case.audience:
        arguments += ["--audience", case.audience]
    if case.token_file is not None:
        arguments += ["--token-file", str(case.token_file)]
    with replay(case.documents, address=address, workdir=workdir) as served:
        return run_check([*arguments, *served.arguments()])
