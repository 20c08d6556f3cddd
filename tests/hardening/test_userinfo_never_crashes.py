"""Property test on the IdP's userinfo: whatever Bearer value arrives, the answer is a 401 whose challenge
follows RFC 6750 section 3, never a 500 and never claims."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asgikit import request
from build import compact
from oidc_idp import build_config
from oidc_idp.web.app import IdpApp, create_app
from strategies import json_values as any_json

ISSUER = "http://127.0.0.1:9"

json_values = any_json(max_leaves=10, floats=False)
headers = st.dictionaries(st.sampled_from(["alg", "kid", "typ", "crit"]) | st.text(max_size=3), json_values, max_size=4)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> IdpApp:
    # Module-scoped: one app (one key generation) for every example.
    return create_app(build_config({"issuer": ISSUER, "keys_dir": tmp_path_factory.mktemp("keys")}))


@settings(deadline=None)
@given(
    st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=200)
    | st.builds(lambda h, p: compact(h, p, b"sig"), headers, headers)
)
def test_any_bearer_value_is_a_401_with_a_conforming_challenge(app: IdpApp, value: str) -> None:
    response = request(app, "GET", "/userinfo", base_url=ISSUER, headers={"Authorization": f"Bearer {value}"})
    assert response.status_code == 401
    challenge = response.headers["www-authenticate"]
    description = challenge.partition('error_description="')[2].removesuffix('"')
    assert challenge.startswith("Bearer ") and all(" " <= c <= "~" and c not in '"\\' for c in description)
