"""Properties that must hold for any input: public key sets stay public, file names stay safe, zips stay reproducible."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from oidc_validator.bundle.archive import zip_bytes
from oidc_validator.bundle.guard import secret_problems
from oidc_validator.bundle.material import file_stem, public_jwks
from oidc_validator.crypto.jwk import COMMON_PUBLIC_MEMBERS, PUBLIC_MEMBERS_BY_KTY, SECRET_MEMBERS

MEMBER = st.sampled_from(["kty", "kid", "n", "e", "x", "y", "crv", "alg", "use", "x5c", "key_ops", *SECRET_MEMBERS]) | st.text(max_size=6)
JWK = st.dictionaries(MEMBER, st.text(max_size=8) | st.integers(), max_size=12)
SAFE_FILE = re.compile(r"[A-Za-z0-9._-]+")


@given(st.lists(JWK, max_size=6), st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3))
def test_public_jwks_keeps_exactly_the_public_members_of_each_kty(keys: list[dict[str, Any]], extra: dict[str, str]) -> None:
    # Changed with the allow-list (was: "drops every secret member and keeps every other"): only the kty's public
    # members with string values survive, and only the keys member of the set.
    jwks = {**extra, "keys": keys}
    published = public_jwks(jwks)
    assert list(published) == ["keys"] and len(published["keys"]) == len(keys)
    for original, public in zip(keys, published["keys"], strict=True):
        kty = original.get("kty")
        allowed = PUBLIC_MEMBERS_BY_KTY.get(kty, COMMON_PUBLIC_MEMBERS) if isinstance(kty, str) else COMMON_PUBLIC_MEMBERS
        assert not set(public) & set(SECRET_MEMBERS)
        lists = ("x5c", "key_ops")  # arrays of strings; the rest single strings
        assert public == {m: v for m, v in original.items() if m in allowed and isinstance(v, str) and m not in lists}
    assert jwks["keys"] is keys and all(k in jwks["keys"] for k in keys)  # the input is not modified


@given(st.lists(st.text(min_size=1, max_size=30), max_size=8))
def test_file_names_for_any_kids_are_safe_and_distinct(kids: list[str]) -> None:
    taken: set[str] = set()
    stems = [file_stem(kid, taken) for kid in kids]
    for stem in stems:
        assert SAFE_FILE.fullmatch(stem) and not stem.startswith(".")
    assert len({s.lower() for s in stems}) == len(stems)  # distinct even on case-insensitive file systems


@given(
    st.dictionaries(st.from_regex(r"[a-z]{1,8}(/[a-z]{1,8})?\.(md|json|pem)", fullmatch=True), st.binary(max_size=200), max_size=6),
    st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)),
)
def test_zips_are_deterministic_sorted_and_round_trip(contents: dict[str, bytes], now: datetime) -> None:
    data = zip_bytes(contents, now)
    assert data == zip_bytes(dict(reversed(list(contents.items()))), now)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == sorted(contents)
        assert {n: archive.read(n) for n in archive.namelist()} == contents


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", min_size=16, max_size=90), st.text(max_size=40))
def test_the_guard_finds_a_token_signature_wherever_it_hides(signature: str, around: str) -> None:
    blob = f"{around}{signature}{around}".encode()
    assert secret_problems({"report.txt": blob}, token_signatures=[signature]) == ["report.txt contains a token signature"]
