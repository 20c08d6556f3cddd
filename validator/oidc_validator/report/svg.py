"""Draw a Timeline as inline SVG: one row per key (its certificate's validity), the sample token's life, and now.

Pure string building with fixed-precision coordinates, so the same Timeline always gives the same bytes.
No xmlns, no href, no font: the SVG is inline in an HTML page (the HTML parser puts it in the SVG
namespace) and refers to nothing outside it. Every string from the Timeline goes through escape_html.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from oidc_validator.crypto.certs import EXPIRY_WARNING
from oidc_validator.model.text import escape_html
from oidc_validator.report.timeline import KeySpan, Timeline, aware

WIDTH = 960
CHART_LEFT, CHART_RIGHT = 320.0, 940.0
TOP = 44  # room for the "now" label and the date axis
ROW = 38
BAR = 16
# A 100-year certificate must not squash a one-hour token and a rotation gap of a week into one pixel.
HORIZON = timedelta(days=3 * 365)
MIN_SPAN = timedelta(days=2)
TICKS = 5
KID_CHARS = 34  # a longer kid is cut in the drawing; the table below it and the tooltip show it whole

Status = Literal["valid", "expiring", "expired", "not_yet_valid", "no_certificate"]
STATUS_TEXT: dict[Status, str] = {
    "valid": "valid",
    "expiring": f"expires within {EXPIRY_WARNING.days} days",
    "expired": "expired",
    "not_yet_valid": "not yet valid",
    "no_certificate": "no certificate",
}


def status(span: KeySpan, now: datetime) -> Status:
    """The span judged at ``now`` as certs.validity judges a certificate (RFC 5280 section 4.1.2.5)."""
    now = aware(now)
    if span.not_before is None and span.not_after is None:
        return "no_certificate"
    if span.not_before is not None and now < aware(span.not_before):
        return "not_yet_valid"
    if span.not_after is not None and now > aware(span.not_after):
        return "expired"
    if span.not_after is not None and aware(span.not_after) - now <= EXPIRY_WARNING:
        return "expiring"
    return "valid"


def when(moment: datetime | None) -> str:
    return "unknown" if moment is None else aware(moment).astimezone(UTC).strftime("%Y-%m-%d %H:%MZ")


@dataclass(frozen=True)
class Scale:
    """Instants to x coordinates over [start, end], clamped to the chart."""

    start: datetime
    end: datetime

    def x(self, moment: datetime) -> float:
        fraction = (aware(moment) - self.start) / (self.end - self.start)
        return min(CHART_RIGHT, max(CHART_LEFT, CHART_LEFT + fraction * (CHART_RIGHT - CHART_LEFT)))

    def inside(self, moment: datetime) -> bool:
        return self.start <= aware(moment) <= self.end


def scale_for(timeline: Timeline) -> Scale:
    now = aware(timeline.now)
    moments = [now, timeline.token_issued, timeline.token_expires]
    moments += [m for span in timeline.keys for m in (span.not_before, span.not_after)]
    known = [max(now - HORIZON, min(now + HORIZON, aware(m))) for m in moments if m is not None]
    start, end = min(known), max(known)
    if end - start < MIN_SPAN:
        middle = start + (end - start) / 2
        start, end = middle - MIN_SPAN / 2, middle + MIN_SPAN / 2
    margin = (end - start) / 25
    return Scale(start - margin, end + margin)


def _f(value: float) -> str:
    return f"{value:.1f}"


def _short(kid: str) -> str:
    return kid if len(kid) <= KID_CHARS else kid[: KID_CHARS - 1] + "…"


def _open_end(x: float, y: float, pointing: int, css: str) -> str:
    """A chevron past a bar's end: the validity goes on beyond the chart (or that end is unknown)."""
    tip = x + 7 * pointing
    return f'<path class="{css}" d="M{_f(x)} {_f(y)} L{_f(tip)} {_f(y + BAR / 2)} L{_f(x)} {_f(y + BAR)} Z"/>'


def _bar(scale: Scale, start: datetime | None, end: datetime | None, y: float, css: str, tooltip: str) -> list[str]:
    left = scale.x(start) if start is not None else CHART_LEFT
    right = scale.x(end) if end is not None else CHART_RIGHT
    out = [
        f'<rect class="{css}" x="{_f(left)}" y="{_f(y)}" width="{_f(max(right - left, 2.0))}" height="{BAR}" rx="3">'
        f"<title>{escape_html(tooltip)}</title></rect>"
    ]
    if start is None or not scale.inside(start):
        out.append(_open_end(left, y, -1, css))
    if end is None or not scale.inside(end):
        out.append(_open_end(left + max(right - left, 2.0), y, 1, css))
    return out


def _label(y: float, first: str, second: str, css: str = "") -> str:
    return (
        f'<text class="row-label{" " + css if css else ""}" x="8" y="{_f(y + 12)}">{escape_html(first)}'
        f'<tspan class="row-sub" x="8" dy="15">{escape_html(second)}</tspan></text>'
    )


def _key_row(scale: Scale, timeline: Timeline, span: KeySpan, y: float) -> list[str]:
    state = status(span, timeline.now)
    signs = timeline.token_kid is not None and span.kid == timeline.token_kid
    second = span.label + (" · signs the sample token" if signs else "")
    # No "kid: ..." form: a kid such as "passwd" would then read as a credential assignment to the bundle's secret scan.
    tooltip = f"kid {span.kid} ({span.label}), {STATUS_TEXT[state]}, {when(span.not_before)} to {when(span.not_after)}"
    out = [_label(y, _short(span.kid), second, "signer" if signs else "")]
    bar_y = y + (ROW - BAR) / 2 - 2
    if state == "no_certificate":
        out.append(
            f'<rect class="bar-none" x="{_f(CHART_LEFT)}" y="{_f(bar_y)}" width="{_f(CHART_RIGHT - CHART_LEFT)}" height="{BAR}" rx="3">'
            f"<title>{escape_html(tooltip)}</title></rect>"
        )
        out.append(f'<text class="bar-text" x="{_f(CHART_LEFT + 8)}" y="{_f(bar_y + 12)}">no certificate: validity unknown</text>')
        return out
    out += _bar(scale, span.not_before, span.not_after, bar_y, f"bar-{state}", tooltip)
    return out


def _token_row(scale: Scale, timeline: Timeline, y: float) -> list[str]:
    kids = {span.kid for span in timeline.keys}
    kid = timeline.token_kid
    if kid is None:
        second, css = "no kid in its header", "missing"
    elif kid in kids:
        second, css = f"kid {_short(kid)}", ""
    else:
        second, css = f"kid {_short(kid)}, not in the key list", "missing"
    out = [_label(y, "sample token", second, css)]
    shown_kid = kid if kid is not None else "none"
    tooltip = f"sample token (kid {shown_kid}), issued {when(timeline.token_issued)}, expires {when(timeline.token_expires)}"
    bar_y = y + (ROW - BAR) / 2 - 2
    out += _bar(scale, timeline.token_issued, timeline.token_expires, bar_y, "bar-token", tooltip)
    # A one-hour token is a sliver beside a year-long certificate: its dates are written beside it.
    end = scale.x(timeline.token_expires) if timeline.token_expires is not None else CHART_RIGHT
    text = f"iat {when(timeline.token_issued)}, exp {when(timeline.token_expires)}"
    if end > (CHART_LEFT + CHART_RIGHT) / 2:
        start = scale.x(timeline.token_issued) if timeline.token_issued is not None else CHART_LEFT
        out.append(f'<text class="bar-text" x="{_f(start - 10)}" y="{_f(bar_y + 12)}" text-anchor="end">{text}</text>')
    else:
        out.append(f'<text class="bar-text" x="{_f(end + 10)}" y="{_f(bar_y + 12)}">{text}</text>')
    return out


def _axis(scale: Scale, bottom: float) -> list[str]:
    short = scale.end - scale.start < timedelta(days=4)
    out = []
    for i in range(TICKS):
        moment = scale.start + (scale.end - scale.start) * i / (TICKS - 1)
        x = scale.x(moment)
        text = moment.astimezone(UTC).strftime("%m-%d %H:%M" if short else "%Y-%m-%d")
        anchor = "start" if i == 0 else "end" if i == TICKS - 1 else "middle"
        out.append(f'<line class="grid" x1="{_f(x)}" y1="{TOP - 6}" x2="{_f(x)}" y2="{_f(bottom)}"/>')
        out.append(f'<text class="tick" x="{_f(x)}" y="{TOP - 10}" text-anchor="{anchor}">{text}</text>')
    return out


def render_svg(timeline: Timeline) -> str:
    """The timeline as one <svg> element: rows of keys, a row for the sample token when there is one, a now line."""
    scale = scale_for(timeline)
    has_token = timeline.token_issued is not None or timeline.token_expires is not None or timeline.token_kid is not None
    rows = len(timeline.keys) + (1 if has_token else 0)
    bottom = TOP + ROW * max(rows, 1)
    height = bottom + 24
    body = _axis(scale, bottom)
    y = float(TOP)
    for index, span in enumerate(timeline.keys):
        if index % 2:
            body.append(f'<rect class="stripe" x="0" y="{_f(y)}" width="{WIDTH}" height="{ROW}"/>')
        body += _key_row(scale, timeline, span, y)
        y += ROW
    if not timeline.keys:
        body.append(f'<text class="row-sub" x="8" y="{_f(y + 20)}">no key known: no key set was fetched and no certificate given</text>')
        y += ROW if not has_token else 0
    if has_token:
        body += _token_row(scale, timeline, y)
    x_now = scale.x(timeline.now)
    now_text = f"now {when(timeline.now)}"
    anchor = "end" if x_now > (CHART_LEFT + CHART_RIGHT) / 2 else "start"
    nudge = -4 if anchor == "end" else 4
    body.append(f'<line class="now" x1="{_f(x_now)}" y1="{TOP - 4}" x2="{_f(x_now)}" y2="{_f(bottom + 4)}"/>')
    body.append(f'<text class="now-label" x="{_f(x_now + nudge)}" y="{_f(bottom + 18)}" text-anchor="{anchor}">{now_text}</text>')
    return (
        f'<svg class="timeline" role="img" aria-labelledby="timeline-title" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" preserveAspectRatio="xMinYMin meet">'
        '<title id="timeline-title">Key timeline: certificate validity per kid, the sample token and now</title>' + "".join(body) + "</svg>"
    )
