"""Document-derived text on its way out. Documents and file names are untrusted: what they contain
reaches terminals and CI logs, spreadsheets, Markdown viewers and browsers. Each output applies the
escaper for its format here (see SECURITY.md); report.json keeps the text as it was read."""

from __future__ import annotations

import json
import re

# C0 controls except tab and newline, DEL, C1 controls, and lone surrogates (undecodable file names)
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_JSON_UNSAFE = re.compile("[\x7f-\x9f\ud800-\udfff\u2028\u2029]")
CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # the Unicode control picture: ESC shows as ␛
    return "\u2421" if code == 0x7F else "\ufffd"


def visible(text: object) -> str:
    """Control characters (ESC, CR, C1, ...) as visible symbols, so they cannot drive a terminal."""
    return _CONTROL.sub(_visible, str(text))


def for_terminal(text: object) -> str:
    """Text for stdout/stderr: no terminal escape sequences, no carriage-return overwrites."""
    return visible(text)


def for_csv(value: object) -> object:
    """A CSV cell that spreadsheets show as text: control characters made visible, and a cell that
    starts like a formula (= + - @ tab CR) prefixed with a single quote (OWASP CSV injection advice).
    Numbers and empty cells pass unchanged."""
    if not isinstance(value, str):
        return value
    if value.startswith(CSV_FORMULA_START):
        value = "'" + value
    return visible(value)


def json_text(data: object, *, indent: int | None = 2) -> str:
    """JSON with non-ASCII text kept readable, but C1 controls, lone surrogates and line separators
    written as \\u escapes (the same JSON value, inert in a terminal)."""
    text = json.dumps(data, ensure_ascii=False, indent=indent)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
