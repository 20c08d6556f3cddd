"""--resolve HOST:PORT:ADDRESS (curl's meaning), and the replay harness that serves real-looking IdPs through it.

Every replay in this module listens on 127.0.0.77, port 443 (curl's --resolve keeps the port); other modules
pick other loopback addresses so that they never clash.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from build import AUDIENCE, NOW, claims, public_jwk, rsa_key, sign
from oidc_validator.cli.main import main
from oidc_validator.net.options import ResolveEntry, parse_resolve
from realworld import case_paths, load_case, replay, run_case, run_check

ADDRESS = "127.0.0.77"
HOST = "login.example-idp.test"
ISSUER = f"https://{HOST}/tenant/v2.0"
KEYS_HOST = "keys.example-idp.test"  # a second host, as when jwks_uri lives elsewhere (Google, Entra's common keys)
CORPUS = Path(__file__).resolve().parents[1] / "data" / "realworld"


def as_json(document: Any) -> tuple[str, bytes]:
    return "application/json", json.dumps(document).encode()


def idp_documents(jwks_uri: str = f"https://{KEYS_HOST}/tenant/discovery/keys") -> dict[str, tuple[str, bytes]]:
    discovery = {
        "issuer": ISSUER,
        "jwks_uri": jwks_uri,
        "authorization_endpoint": f"https://{HOST}/tenant/oauth2/v2.0/authorize",
        "token_endpoint": f"https://{HOST}/tenant/oauth2/v2.0/token",
        "id_token_signing_alg_values_supported": ["RS256"],
    }
    return {
        f"{ISSUER}/.well-known/openid-configuration": as_json(discovery),
        jwks_uri: as_json({"keys": [public_jwk(rsa_key())]}),
    }


def token_file(tmp_path: Path) -> Path:
    path = tmp_path / "token.jwt"
    path.write_text(sign(claims(iss=ISSUER, aud=AUDIENCE)))
    return path


def check_arguments(tmp_path: Path) -> list[str]:
    return [
        "--issuer",
        ISSUER,
        "--entity-id",
        ISSUER,
        "--audience",
        AUDIENCE,
        "--token-file",
        str(token_file(tmp_path)),
        "--now",
        NOW.isoformat(),
    ]


# -- the flag --------------------------------------------------------------------------------------


def test_a_resolve_entry_keeps_the_host_and_port_and_lists_the_addresses() -> None:
    assert parse_resolve("Login.Example-IdP.test.:443:127.0.0.5,[::1]") == ResolveEntry("login.example-idp.test", 443, ("127.0.0.5", "::1"))


@pytest.mark.parametrize(
    ("value", "says"),
    [
        pytest.param("login.example-idp.test", "expects HOST:PORT:ADDRESS", id="missing parts"),
        pytest.param("login.example-idp.test:443:", "expects HOST:PORT:ADDRESS", id="no address"),
        pytest.param(":443:127.0.0.1", "expects HOST:PORT:ADDRESS", id="no host"),
        pytest.param("login.example-idp.test:0:127.0.0.1", "1-65535", id="port zero"),
        pytest.param("login.example-idp.test:65536:127.0.0.1", "1-65535", id="port too high"),
        pytest.param("login.example-idp.test:https:127.0.0.1", "1-65535", id="port not a number"),
        pytest.param("login.example-idp.test:443:node1.example-idp.test", "not an IP address", id="address is a name"),
    ],
)
@pytest.mark.parametrize("command", ["check", "bundle"])
def test_bad_resolve_input_is_a_one_line_error_with_exit_2(command: str, value: str, says: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([command, "--issuer", ISSUER, "--resolve", value]) == 2
    err = capsys.readouterr().err
    assert says in err and "--resolve" in err and err.count("\n") == 1 and "Traceback" not in err


def test_simulate_takes_resolve_too_and_refuses_bad_input_the_same_way(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--bundle", "x.zip", "--user", "a=b", "--resolve", "h:443:not-an-ip"]) == 2
    assert "not an IP address" in capsys.readouterr().err


def test_a_config_file_may_list_resolve_entries_and_bad_ones_are_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "onboarding.toml"
    config.write_text(f'issuer = "{ISSUER}"\nresolve = ["{HOST}:99999:127.0.0.1"]\n')
    assert main(["check", "--config", str(config)]) == 2
    assert "--resolve port '99999'" in capsys.readouterr().err


# -- the replay: a real-looking issuer served on a loopback address ------------------------------------


def test_check_reaches_a_real_looking_issuer_through_resolve_and_gets_a_clean_verdict(tmp_path: Path) -> None:
    with replay(idp_documents(), address=ADDRESS, workdir=tmp_path) as served:
        assert served.resolve == (f"{KEYS_HOST}:443:{ADDRESS}", f"{HOST}:443:{ADDRESS}")
        verdict = run_check([*check_arguments(tmp_path), *served.arguments()])
    assert verdict.exit_code == 0, verdict.report
    assert verdict.errors == frozenset()
    found = {f["code"] for f in verdict.report["findings"]}
    assert {"token_signature_verified", "issuer_discovery_mismatch"} & found == {"token_signature_verified"}


def test_the_certificate_is_verified_against_the_host_name_not_the_address(tmp_path: Path) -> None:
    # The replay has no certificate for this name: with --resolve pointing it at the same address,
    # TLS must still fail, because the server name checked is the URL's host.
    other = "https://other.example-idp.test/tenant/v2.0"
    with replay(idp_documents(), address=ADDRESS, workdir=tmp_path) as served:
        arguments = [*served.arguments(), "--resolve", f"other.example-idp.test:443:{ADDRESS}"]
        verdict = run_check(["--issuer", other, "--now", NOW.isoformat(), *arguments])
    (failure,) = [f for f in verdict.report["findings"] if f["code"] == "discovery_fetch_failed"]
    assert failure["evidence"]["kind"] == "tls"


def test_a_host_without_a_resolve_entry_is_not_sent_to_the_replay_address(tmp_path: Path) -> None:
    # Only login.* is resolved: the JWKS host falls back to DNS, where .test names never exist.
    with replay(idp_documents(), address=ADDRESS, workdir=tmp_path) as served:
        login_only = ["--resolve", f"{HOST}:443:{ADDRESS}", "--ca-file", str(served.ca_file)]
        verdict = run_check([*check_arguments(tmp_path), *login_only])
    assert "jwks_fetch_failed" in verdict.errors


def test_redirects_keep_the_host_name_and_follow_the_resolve_entries(tmp_path: Path) -> None:
    documents = idp_documents()
    moved = f"https://{HOST}/tenant/old-keys"
    # The discovery document names a URL that redirects (same host) to the real key set on the other host.
    discovery = json.loads(documents[f"{ISSUER}/.well-known/openid-configuration"][1])
    documents[f"{ISSUER}/.well-known/openid-configuration"] = as_json({**discovery, "jwks_uri": moved})
    with replay(documents, address=ADDRESS, workdir=tmp_path) as served:
        verdict = run_check([*check_arguments(tmp_path), *served.arguments()])
    # The replay does not redirect: the moved URL answers 404, proving the request went to HOST's own routes.
    (failure,) = [f for f in verdict.report["findings"] if f["code"] == "jwks_fetch_failed"]
    assert failure["evidence"]["status"] == 404


def test_bundle_writes_the_package_for_an_issuer_reached_through_resolve(tmp_path: Path) -> None:
    output = tmp_path / "package.zip"
    with replay(idp_documents(), address=ADDRESS, workdir=tmp_path) as served:
        code = main(["bundle", *check_arguments(tmp_path), *served.arguments(), "--idp-name", "replayed", "-o", str(output)])
    assert code == 0 and output.exists()


# -- the corpus: tests/data/realworld/<case>/case.json, replayed the same way (none yet is fine) ----------


@pytest.mark.parametrize("case_json", case_paths(CORPUS), ids=lambda p: p.parent.name)
def test_each_captured_idp_gets_its_expected_verdict(case_json: Path, tmp_path: Path) -> None:
    case = load_case(case_json)
    verdict = run_case(case, address=ADDRESS, workdir=tmp_path)
    assert (verdict.exit_code, verdict.errors) == (case.expected_exit, case.expected_errors), case.why


def test_a_corpus_case_folder_replays_through_the_harness(tmp_path: Path) -> None:
    # The corpus format, written here for one synthetic case, so the harness is tested before the corpus lands.
    folder = tmp_path / "synthetic-idp"
    folder.mkdir()
    urls = {}
    for index, (url, (_, body)) in enumerate(idp_documents().items()):
        (folder / f"doc{index}.json").write_bytes(body)
        urls[url] = f"doc{index}.json"
    token_file(folder)
    spec = {
        "issuer": ISSUER,
        "audience": AUDIENCE,
        "now": NOW.isoformat(),
        "token_file": "token.jwt",
        "expected_exit": 0,
        "expected_errors": [],
        "why": "a clean synthetic IdP",
        "documents": urls,
    }
    (folder / "case.json").write_text(json.dumps(spec))
    assert case_paths(tmp_path) == [folder / "case.json"]
    case = load_case(folder / "case.json")
    verdict = run_case(case, address=ADDRESS, workdir=tmp_path / "work")
    assert (verdict.exit_code, verdict.errors) == (case.expected_exit, case.expected_errors), verdict.report


def test_an_absent_corpus_folder_yields_no_cases(tmp_path: Path) -> None:
    assert case_paths(tmp_path / "realworld") == []
