"""Date extraction: absolute dates (Gregorian, Solar Hijri, Hijri), bare years, ranges, relative phrases.

Values are ISO strings at their granularity ("2024", "2024-09", "2024-09-27"); ranges are "lo/hi".
A leading "~" marks an approximate interval (a converted calendar month/year or a vague relative
span such as "in the coming days"); such intervals are compatible with anything they overlap.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, replace
from functools import lru_cache

import hijridate
import jdatetime
from babel import Locale

from ..textnorm import Normalized, norm_word
from .clock import ZONE_AFTER
from .model import Slot
from .resources import WB_L, WB_R, lang_group, load, required_literals, trie_pattern

_EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
              "October", "November", "December")
_SH_MONTHS = ("Farvardin", "Ordibehesht", "Khordad", "Tir", "Mordad", "Shahrivar", "Mehr", "Aban", "Azar",
              "Dey", "Bahman", "Esfand")
_H_MONTHS = ("Muharram", "Safar", "Rabi al-Awwal", "Rabi al-Thani", "Jumada al-Ula", "Jumada al-Akhira",
             "Rajab", "Shaban", "Ramadan", "Shawwal", "Dhu al-Qadah", "Dhu al-Hijjah")
_LATIN_LANGS = {"en", "ms", "id"}


@dataclass
class DateHit:
    start: int  # offsets in the normalised text
    end: int
    lo: dt.date
    hi: dt.date
    granularity: str | None
    value: str
    display: str
    relative: bool = False
    weekday: int | None = None  # a day of the week on its own ("on Friday"), resolved or not (Monday = 0)
    named_weekday: int | None = None  # the day of the week written beside a date ("Rabu (14/6/2023)")

    @property
    def approx(self) -> bool:
        return self.value.startswith("~")


@dataclass(frozen=True)
class _Tables:
    months: dict[str, tuple[str, int]]  # normalised name -> (calendar, month)
    short: frozenset[str]  # month names too ambiguous to use without a year
    re_dmy: re.Pattern[str]
    re_mdy: re.Pattern[str]
    re_my: re.Pattern[str]
    re_md: re.Pattern[str]  # month and day, no year ("Dec 14")
    markers: dict[str, str]  # normalised calendar marker -> calendar
    relative: tuple[tuple[re.Pattern[str], str, frozenset[str] | None], ...]  # pattern, rule, required_literals
    weekdays: dict[str, int]
    marker_pattern: str
    literals: tuple[str, ...]  # every literal some relative pattern requires, each looked for once per text


_YEAR_CUES = r"(?:(?:of|in|tahun|year|عام|سنه|سال|العام|من عام|من سنه|ماه|,)\s*)?"
_RE_NUMERIC_YMD = re.compile(r"(?<![\d/.\-])(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?![\d/.\-]\d)")
_RE_NUMERIC_DMY = re.compile(r"(?<![\d/.\-])(\d{1,2})([-/.])(\d{1,2})\2(\d{4})(?![\d/.\-]\d)")
_RE_YEAR = re.compile(r"(?<![A-Za-z\d.,/:])(\d{4})(?![\d]|[.,:]\d)")
_RE_CONNECT = re.compile(
    r"\s*(?:-|/|to|until|till|through|thru|hingga|sehingga|sampai(?: dengan)?|ke|إلى|الى|حتى|لغايه|ولغايه|تا|الي)\s*$"
)
_RE_CONNECT_WEAK = re.compile(r"\s*(?:and|dan|و)\s*$")
_RE_BETWEEN = re.compile(r"(?:between|antara|بين|بين عامي|بين سنتي)\s*$")


def _babel_months(locale: str) -> list[list[str]]:
    loc = Locale.parse(locale)
    out: list[list[str]] = [[] for _ in range(12)]
    for ctx in ("format", "stand-alone"):
        for width in ("wide", "abbreviated"):
            try:
                names = loc.months[ctx][width]
            except KeyError:
                continue
            for m, name in names.items():
                name = name.rstrip(".")
                if width == "abbreviated" and (len(name) < 3 or not name.isascii()):
                    continue
                out[m - 1].append(name)
    return out


@lru_cache(maxsize=32)
def _tables(langs: tuple[str, ...]) -> _Tables:
    data = load("months.json")
    months: dict[str, tuple[str, int]] = {}

    def add(name: str, cal: str, m: int) -> None:
        key = norm_word(name)
        if key and key not in months:
            months[key] = (cal, m)

    for lang in langs:
        for cal in ("gregorian", "solar_hijri", "hijri"):
            for i, variants in enumerate(data.get(lang, {}).get(cal, [])):
                for v in variants:
                    add(v, cal, i + 1)
        for loc in data["babel_locales"].get(lang, [lang] if lang.isalpha() else []):
            try:
                for i, variants in enumerate(_babel_months(loc)):
                    for v in variants:
                        add(v, "gregorian", i + 1)
            except Exception:  # unknown locale: best effort
                continue
    short = frozenset(k for k in months if len(k.replace(" ", "")) <= 3)
    mpat = trie_pattern(list(months))
    month = rf"(?P<m>{mpat})(?:\s*[/(\-]\s*(?P<m2>{mpat})\s*\)?)?(?:\s*ماه)?"
    markers = {norm_word(v): cal for cal, vs in data["calendar_markers"].items() for v in vs}
    mk = trie_pattern(list(markers))
    year = rf"(?P<y>\d{{4}})(?!\d)(?:\s*(?P<cal>{mk})(?![\w]))?"
    day = r"(?P<d>\d{1,2})(?:st|nd|rd|th|er|hb)?"
    re_dmy = re.compile(
        rf"(?:{WB_L}|(?<=(?<!\w)و)){day}\s*(?:of\s+|من\s+)?(?:شهر\s+|bulan\s+)?{WB_L}{month}{WB_R}(?:\s*,?\s*{_YEAR_CUES}{year})?"
    )
    re_mdy = re.compile(rf"{WB_L}{month}\s+{day},?\s+{year}")
    re_my = re.compile(rf"{WB_L}{month}{WB_R}\s*,?\s*{_YEAR_CUES}{year}")
    re_md = re.compile(rf"{WB_L}{month}\.?\s+{day}(?![\d:/]|[.,]\s*\d)")

    rel = load("relative.json")
    weekdays: dict[str, int] = {}
    for lang in langs:
        for i, variants in enumerate(rel["weekdays"].get(lang, [])):
            for v in variants:
                weekdays.setdefault(norm_word(v), i)
        try:
            for i, name in Locale.parse(lang).days["format"]["wide"].items():
                weekdays.setdefault(norm_word(name), i)
        except Exception:
            pass
    wd = rf"(?P<wd>{trie_pattern(list(weekdays))})" if weekdays else r"(?P<wd>(?!))"
    rules: list[tuple[re.Pattern[str], str, frozenset[str] | None]] = []
    for lang in langs:
        for item in rel.get(lang, []):
            pat = norm_word(item["re"]).replace("{wd}", "{WD}").replace("{WD}", wd).replace(" ", r"\s+")
            rx = re.compile(WB_L + "(?:" + pat + ")" + WB_R)
            rules.append((rx, item["rule"], required_literals(rx.pattern)))
    literals = tuple(sorted(set().union(*(needs for _, _, needs in rules if needs))))
    return _Tables(months, short, re_dmy, re_mdy, re_my, re_md, markers, tuple(rules), weekdays, mk, literals)


# ---------------------------------------------------------------------------- calendar helpers

def _month_bounds(cal: str, y: int, m: int) -> tuple[dt.date, dt.date]:
    if cal == "gregorian":
        return dt.date(y, m, 1), dt.date(y, m, calendar.monthrange(y, m)[1])
    if cal == "solar_hijri":
        first = jdatetime.date(y, m, 1)
        n = 31 if m <= 6 else 30 if m <= 11 else (30 if first.isleap() else 29)
        return first.togregorian(), jdatetime.date(y, m, n).togregorian()
    h = hijridate.Hijri(y, m, 1)
    g = h.to_gregorian()
    lo = dt.date(g.year, g.month, g.day)
    return lo, lo + dt.timedelta(days=h.month_length() - 1)


def _day(cal: str, y: int, m: int, d: int) -> dt.date:
    if cal == "gregorian":
        return dt.date(y, m, d)
    if cal == "solar_hijri":
        return jdatetime.date(y, m, d).togregorian()
    g = hijridate.Hijri(y, m, d).to_gregorian()
    return dt.date(g.year, g.month, g.day)


def _year_bounds(cal: str, y: int) -> tuple[dt.date, dt.date]:
    if cal == "gregorian":
        return dt.date(y, 1, 1), dt.date(y, 12, 31)
    return _month_bounds(cal, y, 1)[0], _month_bounds(cal, y, 12)[1]


def _iso(d: dt.date, gran: str) -> str:
    return d.isoformat()[: {"year": 4, "month": 7}.get(gran, 10)]


def _month_name(cal: str, m: int) -> str:
    return {"gregorian": _EN_MONTHS, "solar_hijri": _SH_MONTHS}.get(cal, _H_MONTHS)[m - 1]


def _hit(start: int, end: int, cal: str, y: int, m: int | None, d: int | None) -> DateHit | None:
    try:
        if cal == "gregorian":
            if m is None:
                lo, hi = _year_bounds(cal, y)
                return DateHit(start, end, lo, hi, "year", str(y), str(y))
            if d is None:
                lo, hi = _month_bounds(cal, y, m)
                v = f"{y:04d}-{m:02d}"
                return DateHit(start, end, lo, hi, "month", v, f"{v} ({_month_name(cal, m)} {y})")
            day = dt.date(y, m, d)
            return DateHit(start, end, day, day, "day", day.isoformat(),
                           f"{day.isoformat()} ({d} {_month_name(cal, m)} {y})")
        tag = "SH" if cal == "solar_hijri" else "AH"
        if m is None:
            lo, hi = _year_bounds(cal, y)
            return DateHit(start, end, lo, hi, "year", f"~{lo.isoformat()}/{hi.isoformat()}",
                           f"{y} {tag} ({lo.isoformat()} to {hi.isoformat()})")
        if d is None:
            lo, hi = _month_bounds(cal, y, m)
            return DateHit(start, end, lo, hi, "month", f"~{lo.isoformat()}/{hi.isoformat()}",
                           f"{_month_name(cal, m)} {y} {tag} ({lo.isoformat()} to {hi.isoformat()})")
        day = _day(cal, y, m, d)
        return DateHit(start, end, day, day, "day", day.isoformat(),
                       f"{day.isoformat()} ({d} {_month_name(cal, m)} {y} {tag})")
    except (ValueError, OverflowError):
        return None


def _year_near(cal: str, dateline: dt.date, m: int, d: int) -> int | None:
    """Year of a day and month given without one: the dateline's year in that calendar, or the one
    before when that would put the day more than a month after the dateline (news reports the past)."""
    if cal == "gregorian":
        y0 = dateline.year
    elif cal == "solar_hijri":
        y0 = jdatetime.date.fromgregorian(date=dateline).year
    else:
        y0 = hijridate.Gregorian(dateline.year, dateline.month, dateline.day).to_hijri().year
    for y in (y0, y0 - 1):
        try:
            if _day(cal, y, m, d) <= dateline + dt.timedelta(days=31):
                return y
        except (ValueError, OverflowError):
            continue
    return None


# ---------------------------------------------------------------------------- extraction

def _free(spans: list[tuple[int, int]], s: int, e: int) -> bool:
    return all(e <= a or s >= b for a, b in spans)


def _year_calendar(y: int, marker: str | None, cue: bool, langs: tuple[str, ...]) -> str | None:
    """Calendar of a bare 4-digit year, or None when it is probably not a year."""
    if marker:
        return marker
    if 1800 <= y <= 2199:
        return "gregorian"
    if 1300 <= y <= 1499 and langs[0] == "fa":
        return "solar_hijri"
    if 1343 <= y <= 1500 and langs[0] == "ar" and cue:
        return "hijri"
    return None


def extract_dates(
    nt: Normalized, lang: str, dateline: dt.date | None, blocked_after: re.Pattern[str] | None = None
) -> list[DateHit]:
    langs = lang_group(lang)
    tb = _tables(langs)
    t = nt.text
    hits: list[DateHit] = []
    taken: list[tuple[int, int]] = []

    def take(h: DateHit | None) -> None:
        if h is not None and _free(taken, h.start, h.end):
            hits.append(h)
            taken.append((h.start, h.end))

    # numeric dates
    for mt in _RE_NUMERIC_YMD.finditer(t):
        y, m, d = int(mt[1]), int(mt[3]), int(mt[4])
        cal = "solar_hijri" if 1300 <= y <= 1499 else "gregorian"
        take(_hit(mt.start(), mt.end(), cal, y, m, d))
    for mt in _RE_NUMERIC_DMY.finditer(t):
        a, b, y = int(mt[1]), int(mt[3]), int(mt[4])
        d, m = (b, a) if (langs[0] == "en" and a <= 12 < b) else (a, b)
        if m > 12 and d <= 12:
            d, m = m, d
        cal = "solar_hijri" if 1300 <= y <= 1499 else "gregorian"
        take(_hit(mt.start(), mt.end(), cal, y, m, d))

    # month-name dates
    for rx in (tb.re_dmy, tb.re_mdy, tb.re_my, tb.re_md):
        for mt in rx.finditer(t):
            if not _free(taken, mt.start(), mt.end()):
                continue
            name = " ".join(mt["m"].split())
            cal, m = tb.months.get(name, ("gregorian", 0))
            if not m:
                continue
            d = int(mt["d"]) if mt.groupdict().get("d") else None
            ystr = mt.groupdict().get("y")
            if ystr is None:
                # a short month name ("Dec", "دی") only right next to its day number
                adjacent = re.fullmatch(r"\d{1,2}\s*|\.?\s+", t[mt.end("d"):mt.start("m")] if d is not None
                                        and mt.start("d") < mt.start("m") else t[mt.end("m"):mt.start("d")]
                                        if d is not None else "-")
                if d is None or (name in tb.short and not adjacent):
                    continue
                start, end = mt.start(), (mt.end("m2") if mt.groupdict().get("m2") else mt.end("m"))
                end = max(end, mt.end("d"))
                if dateline is not None:
                    year = _year_near(cal, dateline, m, d)
                    if year is not None:
                        take(_hit(start, end, cal, year, m, d))
                elif cal == "gregorian" and 1 <= d <= 31:
                    v = f"--{m:02d}-{d:02d}"
                    take(DateHit(start, end, dt.date.min, dt.date.max, None, v,
                                 f"{d} {_month_name(cal, m)} (year not given)", relative=True))
                continue
            y = int(ystr)
            marker = tb.markers.get(" ".join((mt["cal"] or "").split())) if mt["cal"] else None
            if marker and marker != cal and cal == "gregorian":
                marker = None  # e.g. a stray "م" after a Gregorian date
            end = mt.end("cal") if marker else mt.end("y")
            take(_hit(mt.start(), end, cal, y, m, d))

    # bare years
    re_mark = _marker_re(tb.marker_pattern)
    for mt in _RE_YEAR.finditer(t):
        s, e = mt.span(1)
        if not _free(taken, s, e):
            continue
        y = int(mt[1])
        after = t[e:]
        mm = re_mark.match(after)
        marker = tb.markers.get(" ".join(mm[1].split())) if mm else None
        before = t[max(0, s - 12):s]
        cue = bool(re.search(r"(?:عام|سنه|سال|tahun|year|in|since|sejak|منذ|از|pada|العام)\s*$", before))
        if blocked_after is not None and not marker and blocked_after.match(after):
            continue
        if not marker and y // 100 < 24 and y % 100 < 60 and ZONE_AFTER.match(after):  # "0630 GMT": a time
            continue
        if re.search(r"[$€£]\s*$", before):
            continue
        cal = _year_calendar(y, marker, cue, langs)
        if cal is None:
            continue
        take(_hit(s, e + (mm.end() if mm else 0), cal, y, None, None))

    # relative expressions
    present = {word for word in tb.literals if word in t}
    for rx, rule, needs in tb.relative:
        if needs is not None and needs.isdisjoint(present):
            continue
        for mt in rx.finditer(t):
            if not _free(taken, mt.start(), mt.end()):
                continue
            wd = tb.weekdays.get(" ".join(mt["wd"].split())) if "wd" in rx.groupindex and mt["wd"] else None
            hit = _relative(mt.start(), mt.end(), rule, wd, dateline, t[mt.start():mt.end()])
            part = _RE_PART_OF_MONTH.search(t, max(0, mt.start() - 24), mt.start())
            if hit is not None and part and hit.granularity == "month" and not hit.relative:
                hit = _part_of_month(hit, part)
            take(hit)

    hits.sort(key=lambda h: h.start)
    return _merge_ranges(_weekdays_beside_dates(hits, t, dateline), t)


_RE_GAP = re.compile(r"[\s,(\[]*")  # what may stand between a weekday and its date: "Rabu (14/6/2023)"
_RE_DAY_MONTH_AFTER = re.compile(r"[\s,]*\(?\s*(\d{1,2})/(\d{1,2})(?![/\d])\s*\)?")


def _weekdays_beside_dates(hits: list[DateHit], t: str, dateline: dt.date | None) -> list[DateHit]:
    """A weekday written next to a date names that date, not a day of its own: "Kamis (5/9/2019)" is one
    date, and "Selasa (9/4)" is 9 April of the dateline's year. An explicit date wins over its weekday
    when the two disagree (a writer's slip is in one of them; the date is what others copy)."""
    out: list[DateHit | None] = list(hits)
    for n, h in enumerate(hits):
        if h.weekday is None:
            continue
        nxt = hits[n + 1] if n + 1 < len(hits) else None
        prev = hits[n - 1] if n else None
        if nxt is not None and nxt.weekday is None and nxt.granularity == "day" and _RE_GAP.fullmatch(t[h.end:nxt.start]):
            out[n], out[n + 1] = None, replace(nxt, start=h.start, named_weekday=h.weekday)
        elif (prev is not None and prev.weekday is None and prev.granularity == "day"
              and re.fullmatch(r"[\s,]*", t[prev.end:h.start])):
            out[n - 1], out[n] = replace(prev, end=h.end, named_weekday=h.weekday), None
        elif (dm := _RE_DAY_MONTH_AFTER.match(t, h.end)) and dateline is not None and 1 <= int(dm[2]) <= 12:
            d, m = int(dm[1]), int(dm[2])
            year = _year_near("gregorian", dateline, m, d)
            hit = _hit(h.start, dm.end(), "gregorian", year, m, d) if year is not None else None
            if hit is not None:
                out[n] = replace(hit, named_weekday=h.weekday)
    return [h for h in out if h is not None]


# "early last month", "awal bulan ini", "أوائل الشهر الماضي", "اوایل ماه گذشته": a third of the month
_RE_PART_OF_MONTH = re.compile(
    r"(?P<p>early|the (?:start|beginning) of|mid|the middle of|late|the end of|awal|pertengahan|akhir|hujung|"
    r"اوائل|اوايل|مطلع|بدايه|منتصف|اواسط|اواخر|نهايه|ابتداي|پايان)\s*$")
_PART_DAYS = {"early": (1, 10), "mid": (11, 20), "late": (21, 31)}
_PART_OF = {"early": "early", "the start of": "early", "the beginning of": "early", "awal": "early",
            "اوائل": "early", "اوايل": "early", "مطلع": "early", "بدايه": "early",
            "ابتداي": "early", "mid": "mid", "the middle of": "mid", "pertengahan": "mid", "منتصف": "mid",
            "اواسط": "mid"}


def _part_of_month(hit: DateHit, part: re.Match[str]) -> DateHit:
    """Narrow a relative month to its first, middle or last ten days (approximate)."""
    first, last = _PART_DAYS[_PART_OF.get(" ".join(part["p"].split()), "late")]
    lo = hit.lo + dt.timedelta(days=first - 1)
    hi = min(hit.hi, hit.lo + dt.timedelta(days=last - 1))
    value = f"~{lo.isoformat()}/{hi.isoformat()}"
    return DateHit(part.start("p"), hit.end, lo, hi, "day", value, f"{value} ({part['p']} {hit.display})")


@lru_cache(maxsize=8)
def _marker_re(mk: str) -> re.Pattern[str]:
    return re.compile(rf"\s*({mk})(?![\w])")


def _merge_ranges(hits: list[DateHit], t: str) -> list[DateHit]:
    out: list[DateHit] = []
    i = 0
    while i < len(hits):
        h = hits[i]
        if i + 1 < len(hits) and not h.relative and not hits[i + 1].relative:
            nxt = hits[i + 1]
            between = t[h.end:nxt.start]
            strong = len(between) <= 12 and _RE_CONNECT.match(between)
            weak = (len(between) <= 6 and _RE_CONNECT_WEAK.match(between)
                    and _RE_BETWEEN.search(t[max(0, h.start - 16):h.start]))
            if (strong or weak) and nxt.lo >= h.lo:
                lo_s = h.value.lstrip("~").split("/")[0]
                hi_s = nxt.value.lstrip("~").split("/")[-1]
                approx = "~" if (h.approx or nxt.approx) else ""
                gran = h.granularity
                out.append(DateHit(h.start, nxt.end, h.lo, nxt.hi, gran, f"{approx}{lo_s}/{hi_s}",
                                   f"{lo_s}/{hi_s} ({h.display.split(' (')[0]} to {nxt.display.split(' (')[0]})"))
                i += 2
                continue
        out.append(h)
        i += 1
    return out


# ---------------------------------------------------------------------------- relative resolution

_RULE_TEXT = {
    "today": "today", "yesterday": "yesterday", "tomorrow": "tomorrow", "this_year": "the current year",
    "next_year": "next year", "last_year": "last year", "end_of_year": "end of the current year",
    "start_of_year": "start of the current year", "start_of_next_year": "start of next year",
    "this_month": "the current month", "next_month": "next month", "last_month": "last month",
    "end_of_month": "end of the current month", "this_week": "this week", "next_week": "next week",
    "last_week": "last week", "coming_days": "the coming days", "coming_weeks": "the coming weeks",
    "coming_months": "the coming months", "weekday_last": "last", "weekday_next": "next", "weekday": "",
}
_WD_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _shift_month(d: dt.date, k: int) -> tuple[int, int]:
    n = d.year * 12 + d.month - 1 + k
    return n // 12, n % 12 + 1


def _relative(start: int, end: int, rule: str, wd: int | None, dl: dt.date | None, span: str) -> DateHit | None:
    base, _, cal = rule.partition(":")
    what = _RULE_TEXT.get(base, base.replace("_", " "))
    if base.startswith("weekday"):
        if wd is None:
            return None
        what = f"{what} {_WD_EN[wd]}".strip()
    if cal == "solar":
        what += " (Solar Hijri)"
    if dl is None:
        key = f"rel:{base}" + (f":{_WD_EN[wd].lower()}" if wd is not None else "") + (":solar" if cal else "")
        return DateHit(start, end, dt.date.min, dt.date.max, None, key, f"{what} (relative, no dateline)",
                       relative=True, weekday=wd)
    res = _resolve(base, cal == "solar", wd, dl)
    if res is None:
        return None
    lo, hi, gran, approx = res
    value = f"~{lo.isoformat()}/{hi.isoformat()}" if approx else _iso(lo, gran)
    return DateHit(start, end, lo, hi, gran, value, f"{value.lstrip('~')} ({what}, relative to dateline)",
                   weekday=wd)


def _resolve(rule: str, solar: bool, wd: int | None, d: dt.date) -> tuple[dt.date, dt.date, str, bool] | None:
    one = dt.timedelta(days=1)
    if rule == "today":
        return d, d, "day", False
    if rule == "yesterday":
        return d - one, d - one, "day", False
    if rule == "tomorrow":
        return d + one, d + one, "day", False
    if rule in ("this_year", "next_year", "last_year", "end_of_year", "start_of_year", "start_of_next_year"):
        k = {"next_year": 1, "last_year": -1, "start_of_next_year": 1}.get(rule, 0)
        if solar:
            y = jdatetime.date.fromgregorian(date=d).year + k
            if rule == "end_of_year":
                lo, hi = _month_bounds("solar_hijri", y, 12)
                return lo, hi, "month", True
            if rule.startswith("start"):
                lo, hi = _month_bounds("solar_hijri", y, 1)
                return lo, hi, "month", True
            lo, hi = _year_bounds("solar_hijri", y)
            return lo, hi, "year", True
        y = d.year + k
        if rule == "end_of_year":
            return dt.date(y, 12, 1), dt.date(y, 12, 31), "month", False
        if rule.startswith("start"):
            return dt.date(y, 1, 1), dt.date(y, 1, 31), "month", False
        return dt.date(y, 1, 1), dt.date(y, 12, 31), "year", False
    if rule in ("this_month", "next_month", "last_month", "end_of_month"):
        y, m = _shift_month(d, {"next_month": 1, "last_month": -1}.get(rule, 0))
        lo, hi = _month_bounds("gregorian", y, m)
        return lo, hi, "month", False
    if rule in ("this_week", "next_week", "last_week"):
        monday = d - dt.timedelta(days=d.weekday()) + dt.timedelta(weeks={"next_week": 1, "last_week": -1}.get(rule, 0))
        return monday, monday + dt.timedelta(days=6), "day", True
    if rule == "coming_days":
        return d, d + dt.timedelta(days=14), "day", True
    if rule == "coming_weeks":
        return d, d + dt.timedelta(days=60), "day", True
    if rule == "coming_months":
        return d, d + dt.timedelta(days=183), "month", True
    if wd is not None:
        if rule == "weekday_last":
            back = (d.weekday() - wd) % 7 or 7
            x = d - dt.timedelta(days=back)
        elif rule == "weekday_next":
            fwd = (wd - d.weekday()) % 7 or 7
            x = d + dt.timedelta(days=fwd)
        else:  # a bare weekday: the nearest one, up to four days back or two ahead
            back = (d.weekday() - wd) % 7
            x = d - dt.timedelta(days=back) if back <= 4 else d + dt.timedelta(days=7 - back)
        return x, x, "day", False
    return None


def weekday_of(slot: Slot) -> int | None:
    """The day of the week (Monday = 0) a date slot names ("on Friday", "Rabu (14/6/2023)"), else the
    one a day-level date falls on; None for longer spans and other relative dates."""
    if slot.kind != "date":
        return None
    if slot.weekday is not None:
        return slot.weekday
    if not slot.relative and slot.granularity == "day" and not slot.value.startswith("~"):
        try:
            return dt.date.fromisoformat(slot.value).weekday()
        except ValueError:
            return None
    return None


def to_slots(hits: list[DateHit], nt: Normalized, text: str) -> list[Slot]:
    out = []
    for h in hits:
        s, e = nt.span(h.start, h.end)
        out.append(Slot("date", h.value, text[s:e], s, e, h.granularity, h.relative, None, h.display,
                        weekday=h.weekday if h.weekday is not None else h.named_weekday))
    return out
