"""One self-contained HTML page for a set of findings: the verdict, the values, a key timeline, every finding.

Used by ``check --format html``, by the onboarding package's report.html and by ``drift --format html``,
so nothing here is specific to one command. The page makes no request of any kind: inline CSS only, no
font, image or script, and a Content-Security-Policy that forbids them should anything slip in; it
needs no script to read and prints on paper with its colours. Every string that is not the page's own
(a kid, a claim, a message quoting them, a file name, a flag) goes through model.text.escape_html.
Deterministic: the same arguments give the same string (now is the Timeline's, never the clock's).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from oidc_validator.model.context import Context
from oidc_validator.model.findings import Finding, Severity
from oidc_validator.model.text import escape_html, terminal_json
from oidc_validator.report.render import is_ok, onboarding_values, sorted_findings, value_rows
from oidc_validator.report.svg import STATUS_TEXT, render_svg, status, when
from oidc_validator.report.timeline import KeySpan, Timeline, timeline_from_context, timeline_from_onboarding

__all__ = ["KeySpan", "Timeline", "check_rows", "render_check_html", "render_html", "timeline_from_context", "timeline_from_onboarding"]

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
READY = "Ready to send to Qualys Support"
NOT_READY = "Not ready: fix the errors below first"
HEADINGS = {Severity.ERROR: "Errors", Severity.WARNING: "Warnings", Severity.INFO: "Information"}

STYLE = """
:root { --error: #b42318; --warning: #b54708; --info: #175cd3; --ok: #067647; --ink: #1d2939; --muted: #667085;
  --line: #d0d5dd; --paper: #ffffff; --tint: #f9fafb; color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1000px; padding: 24px; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif;
  color: var(--ink); background: var(--paper); }
h1 { font-size: 24px; margin: 0 0 12px; overflow-wrap: anywhere; }
h2 { font-size: 19px; margin: 28px 0 10px; border-bottom: 2px solid var(--line); padding-bottom: 4px; }
code, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 13px; }
.verdict { border-radius: 8px; padding: 14px 18px; color: #fff; font-size: 18px; font-weight: 600; }
.verdict.ready { background: var(--ok); }
.verdict.not-ready { background: var(--error); }
.counts { display: flex; gap: 10px; margin: 12px 0 0; padding: 0; list-style: none; flex-wrap: wrap; }
.counts li { border: 1px solid var(--line); border-radius: 999px; padding: 3px 12px; font-weight: 600; }
.counts .error { color: var(--error); } .counts .warning { color: var(--warning); } .counts .info { color: var(--info); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 6px 10px; border-bottom: 1px solid var(--line); overflow-wrap: anywhere; }
th { width: 30%; color: var(--muted); font-weight: 600; }
.keys th { width: auto; }
.timeline-box { overflow-x: auto; border: 1px solid var(--line); border-radius: 8px; padding: 8px; }
svg.timeline { display: block; max-width: 100%; height: auto; font: 12px system-ui, sans-serif; }
svg .stripe { fill: var(--tint); }
svg .grid { stroke: #eaecf0; stroke-width: 1; }
svg .tick { fill: var(--muted); font-size: 11px; }
svg .row-label { fill: var(--ink); font-weight: 600; }
svg .row-label.signer { fill: var(--info); }
svg .row-label.missing, svg .row-label.missing .row-sub { fill: var(--error); }
svg .row-sub { fill: var(--muted); font-weight: 400; font-size: 11px; }
svg .bar-valid { fill: #12b76a; } svg .bar-expiring { fill: #f79009; } svg .bar-expired { fill: #f04438; }
svg .bar-not_yet_valid { fill: #98a2b3; } svg .bar-token { fill: #2e90fa; }
svg .bar-none { fill: none; stroke: #98a2b3; stroke-width: 1.5; stroke-dasharray: 5 4; }
svg .bar-text { fill: var(--muted); font-size: 11px; }
svg .now { stroke: var(--error); stroke-width: 2; stroke-dasharray: 6 3; }
svg .now-label { fill: var(--error); font-weight: 600; font-size: 12px; }
.legend { color: var(--muted); font-size: 13px; margin: 6px 0 0; }
.swatch.valid { background: #12b76a; } .swatch.expiring { background: #f79009; } .swatch.expired { background: #f04438; }
.swatch.not_yet_valid { background: #98a2b3; } .swatch.token { background: #2e90fa; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; vertical-align: -1px; margin: 0 4px 0 10px; }
.finding { border: 1px solid var(--line); border-left: 6px solid var(--line); border-radius: 6px; margin: 0 0 12px;
  padding: 10px 14px; break-inside: avoid; page-break-inside: avoid; }
.finding.error { border-left-color: var(--error); } .finding.warning { border-left-color: var(--warning); }
.finding.info { border-left-color: var(--info); }
.finding header { display: flex; gap: 10px; align-items: baseline; flex-wrap: wrap; }
.badge { border-radius: 4px; padding: 1px 8px; color: #fff; font-size: 12px; font-weight: 700; text-transform: uppercase; }
.badge.error { background: var(--error); } .badge.warning { background: var(--warning); } .badge.info { background: var(--info); }
.area { color: var(--muted); font-size: 13px; }
.message { margin: 6px 0 8px; overflow-wrap: anywhere; }
.detail { display: grid; grid-template-columns: 1fr 1fr; gap: 14px; }
.detail h4 { margin: 0 0 4px; font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
.detail dl { margin: 0; display: grid; grid-template-columns: max-content 1fr; gap: 2px 10px; }
.detail dt { color: var(--muted); } .detail dd { margin: 0; overflow-wrap: anywhere; }
.fix { background: var(--tint); border-radius: 4px; padding: 6px 10px; overflow-wrap: anywhere; }
.none { color: var(--muted); font-style: italic; }
footer { margin-top: 28px; color: var(--muted); font-size: 12px; }
@media (max-width: 700px) { .detail { grid-template-columns: 1fr; } }
@media print {
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  body { max-width: none; padding: 0; font-size: 11pt; }
  .timeline-box { overflow: visible; border: none; padding: 0; }
  h2 { break-after: avoid; page-break-after: avoid; }
  .finding, table tr, .timeline-box { break-inside: avoid; page-break-inside: avoid; }
}
"""


def check_rows(ctx: Context) -> list[tuple[str, str]]:
    """The summary rows of a check run: the onboarding values as report/render.py collects them."""
    return value_rows(onboarding_values(ctx))


def render_check_html(ctx: Context, findings: Sequence[Finding]) -> str:
    """``check --format html``: the page for one check run."""
    name = ctx.inputs.idp_name or ctx.inputs.issuer or ctx.inputs.entity_id or "IdP"
    return render_html(
        title=f"OIDC onboarding self-check: {name}", findings=findings, rows=check_rows(ctx), timeline=timeline_from_context(ctx)
    )


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _summary(findings: Sequence[Finding], verdicts: tuple[str, str], ready: bool | None) -> list[str]:
    counts = {severity: sum(1 for f in findings if f.severity is severity) for severity in Severity}
    ready = is_ok(findings) if ready is None else ready
    verdict = escape_html(verdicts[0] if ready else verdicts[1])
    return [
        f'<p class="verdict {"ready" if ready else "not-ready"}" id="verdict">{verdict}</p>',
        '<ul class="counts">',
        f'<li class="error">{_plural(counts[Severity.ERROR], "error")}</li>',
        f'<li class="warning">{_plural(counts[Severity.WARNING], "warning")}</li>',
        f'<li class="info">{counts[Severity.INFO]} info</li>',
        "</ul>",
    ]


def _rows(rows: Sequence[tuple[str, str]]) -> list[str]:
    if not rows:
        return ['<p class="none">No values.</p>']
    body = [f"<tr><th>{escape_html(label)}</th><td>{escape_html(value)}</td></tr>" for label, value in rows]
    return ['<table class="values">', *body, "</table>"]


def _key_table(timeline: Timeline) -> list[str]:
    """The timeline as text too: for a screen reader, for copying a date, and for a kid cut short in the drawing."""
    if not timeline.keys:
        return []
    out = ['<table class="keys"><tr><th>kid</th><th>what</th><th>not before</th><th>not after</th><th>at now</th></tr>']
    for span in timeline.keys:
        cells = (span.kid, span.label, when(span.not_before), when(span.not_after), STATUS_TEXT[status(span, timeline.now)])
        out.append("<tr>" + "".join(f"<td>{escape_html(cell)}</td>" for cell in cells) + "</tr>")
    out.append("</table>")
    return out


def _timeline(timeline: Timeline) -> list[str]:
    token = ""
    if timeline.token_issued is not None or timeline.token_expires is not None:
        token = f" The sample token was issued {when(timeline.token_issued)} and expires {when(timeline.token_expires)}."
    legend = "".join(
        f'<span class="swatch {css}"></span>{text}'
        for css, text in (
            ("valid", "valid"),
            ("expiring", STATUS_TEXT["expiring"]),
            ("expired", "expired"),
            ("not_yet_valid", "not yet valid / no certificate"),
            ("token", "sample token"),
        )
    )
    return [
        '<h2 id="timeline">Key timeline</h2>',
        f'<div class="timeline-box">{render_svg(timeline)}</div>',
        f'<p class="legend">{legend}</p>',
        f'<p class="legend">Now is {when(timeline.now)}.{escape_html(token)}</p>',
        *_key_table(timeline),
    ]


def _evidence(evidence: Mapping[str, Any]) -> str:
    shown = {key: value for key, value in evidence.items() if value not in (None, "", [], {})}
    if not shown:
        return '<p class="none">none</p>'
    items = "".join(
        f'<dt>{escape_html(str(key))}</dt><dd class="mono">{escape_html(value if isinstance(value, str) else terminal_json(value))}</dd>'
        for key, value in shown.items()
    )
    return f"<dl>{items}</dl>"


def _finding(finding: Finding) -> list[str]:
    severity = finding.severity.value
    return [
        f'<article class="finding {severity}">',
        f'<header><span class="badge {severity}">{severity}</span><code class="code">{escape_html(finding.code)}</code>'
        f'<span class="area">{escape_html(finding.area)}</span></header>',
        f'<p class="message">{escape_html(finding.message)}</p>',
        '<div class="detail">',
        f'<section class="evidence"><h4>Evidence</h4>{_evidence(finding.evidence)}</section>',
        f'<section><h4>Fix</h4><p class="fix">{escape_html(finding.fix) if finding.fix else "nothing to do"}</p></section>',
        "</div>",
        "</article>",
    ]


def _findings(findings: Sequence[Finding]) -> list[str]:
    ordered = sorted_findings(findings)
    out: list[str] = []
    for severity in Severity:
        group = [f for f in ordered if f.severity is severity]
        out.append(f'<h2 id="{severity.value}">{HEADINGS[severity]} ({len(group)})</h2>')
        if not group:
            out.append(f'<p class="none">No {HEADINGS[severity].lower()}.</p>')
        for finding in group:
            out += _finding(finding)
    return out


def render_html(
    *,
    title: str,
    findings: Sequence[Finding],
    rows: Sequence[tuple[str, str]],
    timeline: Timeline,
    verdicts: tuple[str, str] = (READY, NOT_READY),
    rows_heading: str = "Onboarding values",
    ready: bool | None = None,
) -> str:
    """The whole page: title, verdict and counts, the summary ``rows`` (label, value), the key timeline, and the
    findings grouped by severity, each with its code, message, evidence and fix.

    ``verdicts`` is what the banner says without errors and with them (another command, drift, has its own words);
    ``rows_heading`` heads the rows' table. ``ready`` overrides "no error" as the verdict (drift: no warning either).
    """
    page = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="referrer" content="no-referrer">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape_html(title)}</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        "<main>",
        f"<h1>{escape_html(title)}</h1>",
        *_summary(findings, verdicts, ready),
        f'<h2 id="values">{escape_html(rows_heading)}</h2>',
        *_rows(rows),
        *_timeline(timeline),
        *_findings(findings),
        "</main>",
        f"<footer>Made by oidc-validator at {when(timeline.now)}. This page loads nothing and runs nothing.</footer>",
        "</body>",
        "</html>",
    ]
    return "\n".join(page) + "\n"
