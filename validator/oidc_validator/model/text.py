"""The one escaping function for text from outside (IdP documents, tokens, files, zip names, echoed flags).

Everything the validator shows on a terminal, writes to a log, or puts into Markdown passes through
``escape_text`` first: a kid, a claim or a zip entry name must not move the cursor, clear the screen,
rewrite a line (CR) or start a new one (LF), nor reorder or hide what follows (bidi overrides,
zero-width characters: Trojan Source, CVE-2021-42574). It lives in model/ because every layer that
renders (report, bundle, simulate, cli) sits above model.
"""

from __future__ import annotations

import html
import json
import unicodedata
from typing import Any

# Cc: C0 and C1 controls and DEL (ESC, CSI, CR, LF, ...); Cf: bidi overrides and isolates, zero-width
# characters, tag characters; Co/Cs: private use and lone surrogates (fonts may draw anything); Zl/Zp:
# line and paragraph separators, which some terminals and viewers treat as newlines.
_UNSAFE_CATEGORIES = frozenset(("Cc", "Cf", "Co", "Cs", "Zl", "Zp"))


def escape_text(text: str) -> str:
    """``text`` with every unsafe character shown as its JSON escape (``\\u001b``, ``\\n``, ``\\u202e``).

    JSON's form, so a value escaped inside a JSON rendering stays valid JSON. Backslashes are left
    alone on purpose: the function is then idempotent, so text escaped at a field can pass a line-level
    escape again without doubling (the aim is that nothing acts on the reader, not a reversible encoding).
    """
    if text.isprintable():  # fast path: isprintable() is False for every unsafe category
        return text
    return "".join(json.dumps(c)[1:-1] if unicodedata.category(c) in _UNSAFE_CATEGORIES else c for c in text)


def escape_html(text: str) -> str:
    """``text`` for an HTML (or inline SVG) text node or a quoted attribute: escape_text first, so a bidi override
    or a control character is shown, not obeyed (a browser honours U+202E as a terminal does), then
    ``html.escape`` with quotes, so no character of it can open or close an element or an attribute."""
    return html.escape(escape_text(text), quote=True)


def terminal_json(value: Any) -> str:
    """A value as JSON for a terminal or a log line: quoted (a string cannot pass for surrounding text) and escaped."""
    return escape_text(json.dumps(value, ensure_ascii=False, default=str))


def escape_lines(text: str) -> str:
    """escape_text on each line of a multi-line rendering whose own line breaks are structure (indented JSON:
    json.dumps has already escaped every newline inside a string, so each raw newline left is its own)."""
    return "\n".join(escape_text(line) for line in text.split("\n"))
