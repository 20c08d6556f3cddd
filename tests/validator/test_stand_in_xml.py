"""The stand-in's XML answer (SIMPLE_RETURN) is well-formed whatever the query and path hold: XML 1.0 forbids
most control characters outright, so they are replaced (U+FFFD) rather than escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest

from oidc_validator.simulate.responses import simple_return

NOW = datetime(2026, 11, 23, tzinfo=UTC)


def parse(body: bytes) -> ET.Element:
    # The stand-in's own answer, generated in this test: no entity expansion or DTD fetch is at stake here.
    return ET.fromstring(body)  # noqa: S314


FORBIDDEN = {"c0_soh": "\x01", "nul": "\x00", "c0_escape": "\x1b", "lone_surrogate": "\ud800", "noncharacter_fffe": "\ufffe"}


@pytest.mark.parametrize("bad", FORBIDDEN.values(), ids=FORBIDDEN.keys())
def test_the_xml_answer_parses_when_the_query_and_path_hold_characters_xml_forbids(bad: str) -> None:
    response = simple_return(f"/api/2.0/fo/x{bad}", f"user{bad}", {f"key{bad}": f"value{bad}<&>"}, NOW)
    root = parse(bytes(response.body))
    assert root.findtext("REQUEST/PARAM_LIST/PARAM/VALUE") == "value\ufffd<&>"
    assert root.findtext("REQUEST/RESOURCE") == "/api/2.0/fo/x\ufffd"


def test_characters_xml_allows_pass_unchanged() -> None:
    text = "tab\there é 鍵 \U0001f511"
    root = parse(bytes(simple_return("/api/2.0/fo/", "u", {"k": text}, NOW).body))
    assert root.findtext("REQUEST/PARAM_LIST/PARAM/VALUE") == text
