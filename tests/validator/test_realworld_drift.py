"""drift on production IdPs' published documents (tests/data/realworld), replayed at their real host names:
onboarded as they were published, the same documents show no drift; with one signing key gone, drift names it.

Every case a customer could onboard as published (expected exit 0) takes part. This module's replays listen on
127.0.0.79:443.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import jwt
import pytest

from oidc_validator.cli.main import main
from oidc_validator.crypto.jwk import why_not_signing
from realworld import Case, case_paths, load_case, replay

ADDRESS = "127.0.0.79"
CORPUS = Path(__file__).resolve().parents[1] / "data" / "realworld"
ONBOARDABLE = [path for path in case_paths(CORPUS) if load_case(path).expected_exit == 0]


def run(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(argv))
    return status, out.getvalue() + err.getvalue()


def request(case: Case) -> list[str]:
    flags = ["--issuer", case.issuer, "--entity-id", case.entity_id, "--now", case.now]
    flags += ["--audience", case.audience] if case.audience else []
    return flags + (["--token-file", str(case.token_file)] if case.token_file is not None else [])


def _jwks_url(case: Case) -> str:
    discovery = next(json.loads(body) for url, (_, body) in case.documents.items() if url.endswith("/.well-known/openid-configuration"))
    return str(discovery["jwks_uri"])


def without_one_signing_key(case: Case) -> tuple[dict[str, tuple[str, bytes]], str | None]:
    """The case's documents with the first signing key the token does not use taken out of the JWKS (a finished rotation)."""
    documents = dict(case.documents)
    url = _jwks_url(case)
    content_type, body = documents[url]
    jwks: dict[str, Any] = json.loads(body)
    token_kid = jwt.get_unverified_header(case.token_file.read_text().strip()).get("kid") if case.token_file is not None else None
    removable = [k for k in jwks["keys"] if why_not_signing(k) is None and isinstance(k.get("kid"), str) and k["kid"] != token_kid]
    if len(removable) < 2:
        return documents, None
    gone = removable[0]
    documents[url] = (content_type, json.dumps({"keys": [k for k in jwks["keys"] if k is not gone]}).encode())
    return documents, gone["kid"]


@pytest.mark.parametrize("case_json", ONBOARDABLE, ids=[path.parent.name for path in ONBOARDABLE])
def test_a_published_idp_onboarded_as_it_is_shows_no_drift_and_a_removed_key_is_named(case_json: Path, tmp_path: Path) -> None:
    case = load_case(case_json)
    onboarded = tmp_path / "onboarded.zip"
    (tmp_path / "before").mkdir()
    (tmp_path / "after").mkdir()
    with replay(case.documents, address=ADDRESS, workdir=tmp_path / "before") as served:
        status, said = run("bundle", *request(case), *served.arguments(), "--key-source", "jwks_url", "-o", str(onboarded))
        assert status == 0, said
        status, said = run("drift", "--bundle", str(onboarded), *request(case)[-2:] if case.token_file else [], "--now", case.now,
                           *served.arguments())  # fmt: skip
        assert (status, said.startswith("no drift: ")) == (0, True), said
    documents, gone = without_one_signing_key(case)
    if gone is None:
        return  # a single signing key: nothing can leave without breaking the IdP
    with replay(documents, address=ADDRESS, workdir=tmp_path / "after") as served:
        status, said = run("drift", "--bundle", str(onboarded), "--now", case.now, "--format", "json", *served.arguments())
    report = json.loads(said)
    assert status == 0, said  # Qualys polls the JWKS URL: a key leaving is information, not a break
    assert [(f["code"], f["evidence"]["kid"]) for f in report["findings"]] == [("drift_key_removed", gone)]
