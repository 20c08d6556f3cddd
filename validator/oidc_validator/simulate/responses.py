"""The API families of the seed document, answering in the shapes it shows, for the mapped user.

Enough for a user's own Qualys API client code to run end to end against the stand-in:
``/api/2.0/fo/...`` answers the XML SIMPLE_RETURN with USER_LOGIN set; the newer families
answer JSON shaped like the seed's samples.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from xml.sax import saxutils

from starlette.responses import JSONResponse, Response

Handler = Callable[[str, str, Mapping[str, str], datetime], Response]


# XML 1.0 section 2.2 (Char): no escaping can carry other characters (&#1; is not well-formed either), and
# the query and path are percent-decoded client input (%01, %EF%BF%BE), so they are replaced.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def escape(text: str) -> str:
    """Character data for the XML answer: markup escaped, characters XML 1.0 forbids replaced by U+FFFD."""
    return saxutils.escape(_NOT_XML_CHAR.sub("\ufffd", text))


def _stamp(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def simple_return(path: str, user: str, params: Mapping[str, str], now: datetime) -> Response:
    param_xml = "".join(f"<PARAM><KEY>{escape(k)}</KEY><VALUE>{escape(v)}</VALUE></PARAM>" for k, v in params.items())
    stamp = _stamp(now)
    body = (
        '<?xml version="1.0" encoding="UTF-8" ?>\n'
        '<!DOCTYPE SIMPLE_RETURN SYSTEM "/api/2.0/simple_return.dtd">\n'
        f"<SIMPLE_RETURN><REQUEST><DATETIME>{stamp}</DATETIME><USER_LOGIN>{escape(user)}</USER_LOGIN>"
        f"<RESOURCE>{escape(path)}</RESOURCE><PARAM_LIST>{param_xml}</PARAM_LIST></REQUEST>"
        f"<RESPONSE><DATETIME>{stamp}</DATETIME><TEXT>Request accepted by the oidc-onboarding stand-in</TEXT></RESPONSE>"
        "</SIMPLE_RETURN>\n"
    )
    return Response(body, media_type="text/xml")


def _user(user: str) -> dict[str, Any]:
    return {"id": "00000000-0000-0000-0000-000000000001", "firstName": "Simulated", "lastName": "User", "username": user}


def _json(make: Callable[[str, str, Mapping[str, str], datetime], Any]) -> Handler:
    return lambda path, user, params, now: JSONResponse(make(path, user, params, now))


@dataclass(frozen=True)
class Family:
    name: str
    prefix: str
    handler: Handler


FAMILIES: tuple[Family, ...] = (
    Family("Cloud Platform (VM, PC, asset)", "/api/2.0/fo/", simple_return),
    Family(
        "ETM",
        "/etm/api/",
        _json(
            lambda p, u, q, now: [
                {"id": "report-1", "name": "Simulated report", "status": "REQUESTED", "createdBy": _user(u), "updatedBy": _user(u)}
            ]
        ),
    ),
    Family(
        "CSAM / EASM",
        "/easm/",
        _json(
            lambda p, u, q, now: {
                "code": "200",
                "status": "UPDATED",
                "date": now.strftime("%Y-%m-%d %H:%M:%S"),
                "message": f"Simulated for {u}",
            }
        ),
    ),
    Family(
        "TotalCloud",
        "/cloudview-api/",
        _json(lambda p, u, q, now: {"reportName": "Simulated Assessment Report", "cloudType": "AWS", "requestedBy": u}),
    ),
    Family("Patch Management", "/pm/", _json(lambda p, u, q, now: ["https://updates.example.com"])),
    Family(
        "Cloud Agent",
        "/caui/",
        _json(lambda p, u, q, now: {"id": 1, "basicDetails": {"profileName": "Simulated profile"}, "requestedBy": u}),
    ),
    Family("Container Security", "/csapi/", _json(lambda p, u, q, now: {"data": [], "count": 0, "requestedBy": u})),
    Family(
        "CertView", "/certview/", _json(lambda p, u, q, now: [{"keySize": 2048, "subject": {"name": "www.example.com"}, "requestedBy": u}])
    ),
    Family("VMDR OT", "/ot/", _json(lambda p, u, q, now: {"assets": [], "requestedBy": u})),
    Family("EDR", "/ioc/", _json(lambda p, u, q, now: {"data": [], "requestedBy": u})),
)


def family_of(path: str) -> Family | None:
    return next((f for f in FAMILIES if path.startswith(f.prefix)), None)
