"""Clock times ("pukul 03.25 WIB", "at 8:15 p.m.", "الساعة 20:15"): number slots in minutes after
midnight, with the unit ``clock`` plus the time zone when one is written next to the time. Times in
different or unnamed zones are different units, so they are never compared with each other."""

from __future__ import annotations

import re

from ..textnorm import Normalized
from .model import Slot

# words that announce a time of day before it, per script (normalised, lower case)
_BEFORE = r"(?:pukul|jam|pkl\.?|at|around|about|sekitar|sekira|الساع[ةه]|ساعت)"
_ZONES = {"wib": "WIB", "wita": "WITA", "wit": "WIT", "gmt": "GMT", "utc": "UTC"}
_TIME = re.compile(
    r"(?P<cue>\b" + _BEFORE + r"\s+)?(?<![\d.:,])(?P<h>[01]?\d|2[0-3])[.:](?P<m>[0-5]\d)(?![\d.,:]?\d)"
    r"(?:[.:][0-5]\d)?\s*(?P<ampm>a\.?m\.?|p\.?m\.?)?\s*(?P<zone>wib|wita|wit|gmt|utc)?\b"
    # agency style "0630 GMT": four digits, no separator, only with a universal time zone
    r"|(?<![\d.:,])(?P<h4>[01]\d|2[0-3])(?P<m4>[0-5]\d)\s*(?P<zone4>gmt|utc)\b")
# a time zone written after a number: "0630 GMT" is a time, not a year
ZONE_AFTER = re.compile(r"\s*(?:wib|wita|wit|gmt|utc)\b")


def extract_clock(nt: Normalized, text: str) -> list[Slot]:
    """Times of day with a cue word before them, a zone or am/pm after them."""
    found = []
    for m in _TIME.finditer(nt.text):
        h, mm, z = ("h4", "m4", "zone4") if m.group("h4") else ("h", "m", "zone")
        cue, ampm, zone = m.group("cue"), m.group("ampm"), m.group(z)
        if not (cue or ampm or zone):
            continue
        hour, minute = int(m.group(h)), int(m.group(mm))
        if ampm and ampm.startswith("p") and hour < 12:
            hour += 12
        if ampm and ampm.startswith("a") and hour == 12:
            hour = 0
        unit = "clock" + (f" {_ZONES[zone]}" if zone else "")
        start = m.start(h)
        end = m.end(z) if zone else m.end("ampm") if ampm else m.end(mm)
        s, e = nt.span(start, end)
        shown = f"{hour:02d}:{minute:02d}" + (f" {_ZONES[zone]}" if zone else "")
        value = f"{hour * 60 + minute} {unit}"
        found.append(Slot("number", value, text[s:e], s, e, None, False, unit, shown))
    return found
