"""Hypothesis strategies the property tests share: any JSON value, and JWK-shaped objects with hostile members.

Each property test names how deep it wants the JSON (``max_leaves``): an endpoint test that makes a
request per example wants smaller values than a pure check.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st


def json_values(*, max_leaves: int = 12, max_text: int = 12, floats: bool = True) -> st.SearchStrategy[Any]:
    """Any JSON value: null, booleans, numbers, strings, and lists and objects of them."""
    scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=max_text)
    if floats:
        scalars |= st.floats(allow_nan=False)
    return st.recursive(
        scalars,
        lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=5),
        max_leaves=max_leaves,
    )


def jwk_like(json: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """A JWK-shaped object whose every member may be missing, mistyped or nonsense (RFC 7517 section 4's members)."""
    return st.fixed_dictionaries(
        {},
        optional={
            "kty": st.sampled_from(["RSA", "EC", "OKP", "oct", "DSA", 1, None]),
            "kid": st.one_of(st.text(max_size=5), st.integers(), st.none(), st.lists(st.text(max_size=3), max_size=2)),
            # Lists and objects too: an unhashable alg once crashed a set lookup.
            "alg": st.one_of(st.sampled_from(["RS256", "ES256", "EdDSA", "HS256", "none"]), st.integers(), json),
            "use": st.one_of(st.sampled_from(["sig", "enc"]), st.integers()),
            "crv": st.one_of(st.sampled_from(["P-256", "P-384", "Ed25519", "X25519"]), st.integers()),
            "n": st.one_of(st.text(max_size=10), st.integers()),
            "e": st.one_of(st.sampled_from(["AQAB", "AQ", "Ag", ""]), st.integers()),
            "x": st.one_of(st.text(max_size=10), st.integers()),
            "y": st.text(max_size=10),
            "x5c": st.one_of(st.lists(st.text(max_size=10), max_size=2), st.text(max_size=5), st.integers()),
            "x5t": json,
            "d": st.text(max_size=3),
        },
    )
