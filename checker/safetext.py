"""Document-derived text on its way out: one shortener and one escaper per output format. Documents
and file names are untrusted: what they contain reaches terminals and CI logs, spreadsheets, Markdown
viewers and browsers (see SECURITY.md); report.json keeps the text as it was read."""

from __future__ import annotations

import json
import re

MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]|#"} | {"<": "&lt;", ">": "&gt;", "&": "&amp;"})
# C0 controls except tab and newline, DEL, C1 controls, and lone surrogates (undecodable file names)
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_JSON_UNSAFE = re.compile("[\x7f-\x9f\ud800-\udfff\u2028\u2029]")
CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def shorten(text: str | None, width: int) -> str:
    """Text on one line (whitespace runs become one space), cut to ``width`` characters with an ellipsis.
    The same for every output; each applies its own escaper to the result."""
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


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


def for_markdown(text: object) -> str:
    """Document-derived text as inert Markdown: one line, no markup, links, code spans or inline HTML."""
    return visible(" ".join(str(text).split())).translate(MD_SPECIAL)


def for_github(text: str, prop: bool = False) -> str:
    """A GitHub workflow-command message (or, with ``prop``, a property value such as file=)."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


JSON_LINE_WIDTH = 100  # objects and arrays that fit are written on one line


def _is_record(value: object, depth: int = 2) -> bool:
    """A scalar, or a small container of records (nested at most ``depth`` deep): kept on one line."""
    if not isinstance(value, dict | list | tuple):
        return True
    members = value.values() if isinstance(value, dict) else value
    return depth > 0 and len(value) <= 8 and all(_is_record(v, depth - 1) for v in members)


def _few_members(value: object, budget: int) -> bool:
    """Whether ``value`` holds at most ``budget`` members, nested ones counted (stops counting past it)."""
    todo = [value]
    while todo:
        item = todo.pop()
        if isinstance(item, dict | list | tuple):
            budget -= len(item)
            if budget < 0:
                return False
            todo.extend(item.values() if isinstance(item, dict) else item)
    return True


def _laid_out(value: object, pad: str, indent: str) -> str:
    """``value`` as JSON on one line where that fits ``JSON_LINE_WIDTH`` or where it is a record (an
    object of scalars and small containers, e.g. one finding), else one member a line. The C encoder does
    the work: ``json.dumps`` with ``indent`` runs in pure Python, slow on large reports."""
    if not isinstance(value, dict | list | tuple) or not value:
        return json.dumps(value, ensure_ascii=False)
    if _few_members(value, JSON_LINE_WIDTH // 2):  # larger containers never fit on a line: not dumped whole
        compact = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
        if len(compact) <= JSON_LINE_WIDTH or (isinstance(value, dict) and all(map(_is_record, value.values()))):
            return compact
    inner = pad + indent
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
        members = [f"{inner}{json.dumps(key, ensure_ascii=False)}: {_laid_out(item, inner, indent)}"
                   for key, item in value.items()]
        return "{\n" + ",\n".join(members) + "\n" + pad + "}"
    return "[\n" + ",\n".join(inner + _laid_out(item, inner, indent) for item in value) + "\n" + pad + "]"


def json_text(data: object, *, indent: int | None = 2) -> str:
    """JSON with non-ASCII text kept readable, but C1 controls, lone surrogates and line separators
    written as \\u escapes (the same JSON value, inert in a terminal). With ``indent``, containers that
    fit on a line stay on one line."""
    text = (json.dumps(data, ensure_ascii=False) if indent is None
            else _laid_out(data, "", " " * indent))
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
