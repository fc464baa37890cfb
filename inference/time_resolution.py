"""Resolve TIME expressions ("Monday", "January 26-28", "next week") against an article's publication date.

Every resolved value is an ISO 8601 calendar date ("2015-06-04") or a closed range of dates
("2015-06-01/2015-06-07"); months and years resolve to ranges too, so a consumer parses one shape.
The rules, chosen to be predictable rather than clever:

- A week runs Monday to Sunday (ISO); "this/last/next week" is that calendar week, "weekend" its Saturday-Sunday.
- A bare weekday is the one within six days of the publication date: the publication day itself when it is
  that weekday, else the most recent past one (news mostly reports what happened), or the coming one when
  `prefer_future` is set (the caller sets it for the time of a planned event). "last/next/this Monday" and
  "coming Monday" are the previous, following and same-week Monday.
- A month and day without a year take the year that puts the date nearest to publication
  ("December 18" in an article of 2015-01-08 is 2014-12-18).
- "the first/second/third/fourth/last week of June" are days 1-7, 8-14, 15-21, 22-28 and the last seven;
  "early/mid/late June" are days 1-10, 11-20 and 21-end.
- Clock times, durations and vague phrases ("1700 GMT", "same time", "another day") resolve to None; a bare
  "1900" is a clock time when it reads as one and as a year lies over 50 years before publication.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from parley.inference.events import Extraction
    from parley.schema import Schema

MONTHS = {name.lower(): n for n, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): n for n, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9
WEEKDAYS = {name.lower(): n for n, name in enumerate(calendar.day_name)}
WEEKDAYS.update({name.lower(): n for n, name in enumerate(calendar.day_abbr)})
NUMBERS = {w: n for n, w in enumerate("zero one two three four five six seven eight nine ten".split())}
ORDINAL_WEEKS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3}

_MONTH_NAMES = "|".join(sorted(MONTHS, key=len, reverse=True))
_WEEKDAY = "|".join(sorted(WEEKDAYS, key=len, reverse=True))
_NUMBER = r"\d+|" + "|".join(NUMBERS)
_SEP = r"\s*(?:-|to|until|till|through|and)\s*"
_YEAR_OPT = r"(?:,?\s+(?P<y>(?:19|20)\d\d))?"
_ON_WEEKDAY = rf"(?:(?:{_WEEKDAY}),?\s+)?"  # "Friday, January 27"


def _month_re(group: str) -> str:
    return rf"(?P<{group}>{_MONTH_NAMES})"


def _day_re(group: str) -> str:
    return rf"(?P<{group}>\d{{1,2}})(?:st|nd|rd|th)?"


# Prepositions that only place the date ("on June 4"); bounding ones ("before", "since") are kept, so those
# phrases stay unresolved rather than resolve to the wrong side of the date.
_LEADING = re.compile(r"^(?:(?:on|in|at|during|for|around|about|the|earlier|later)\s+)+")
# A part of the day after a day ("Monday morning"), but "this morning" and "last night" are days themselves.
_TRAILING = re.compile(r"(?<!this)(?<!last)(?:\s+(?:morning|afternoon|evening|night|noon|midday|at\s+.*))+$")

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (name, re.compile(f"^{pattern}$"))
    for name, pattern in [
        ("iso", r"(?P<y>\d{4})-(?P<m>\d{2})(?:-(?P<d>\d{2}))?(?:[t ][\d:.]+z?)?"),
        ("month_days", rf"{_month_re('m')}\s+{_day_re('d1')}{_SEP}{_day_re('d2')}{_YEAR_OPT}"),  # January 26-28
        (
            "days_month",
            rf"{_day_re('d1')}{_SEP}{_day_re('d2')}\s+(?:of\s+)?{_month_re('m')}{_YEAR_OPT}",
        ),  # 26-28 January
        (
            "month_day_month_day",
            rf"{_month_re('m1')}\s+{_day_re('d1')}{_SEP}{_month_re('m2')}\s+{_day_re('d2')}{_YEAR_OPT}",
        ),
        ("month_day", rf"{_ON_WEEKDAY}{_month_re('m')}\s+{_day_re('d')}{_YEAR_OPT}"),  # January 18, 2017
        ("day_month", rf"{_ON_WEEKDAY}{_day_re('d')}\s+(?:of\s+)?{_month_re('m')}{_YEAR_OPT}"),  # 4th of June
        (
            "week_of_month",
            rf"(?P<nth>first|1st|second|2nd|third|3rd|fourth|4th|last|final)\s+week\s+of\s+"
            rf"{_month_re('m')}{_YEAR_OPT}",
        ),
        (
            "part_of_month",
            rf"(?P<part>early|mid|middle of|late|beginning of|start of|end of)[\s-]*"
            rf"{_month_re('m')}{_YEAR_OPT}",
        ),
        ("month", rf"{_month_re('m')}(?:,?\s+(?:of\s+)?(?P<y>(?:19|20)\d\d))?"),
        ("year", r"(?P<y>(?:19|20)\d\d)"),
        (
            "relative_day",
            r"(?P<word>today|tonight|yesterday|tomorrow|day before yesterday|day after tomorrow"
            r"|this (?:morning|afternoon|evening|night)|last night)",
        ),
        ("weekday", rf"(?:(?P<which>last|past|next|this|coming)\s+)?(?P<wd>{_WEEKDAY})"),
        ("period", r"(?P<which>this|last|past|next|coming|current|previous)\s+(?P<unit>week|weekend|month|year)"),
        ("ago", rf"(?P<n>{_NUMBER})\s+(?P<unit>days?|weeks?)\s+ago"),
        ("from_now", rf"(?P<n>{_NUMBER})\s+(?P<unit>days?|weeks?)\s+from now"),
    ]
]


def parse_publication_date(value: str | date | None) -> date | None:
    """The calendar date of an ISO 8601 date or date-time string; None when absent or unreadable."""
    if value is None or isinstance(value, date):
        return value if not isinstance(value, datetime) else value.date()
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def resolve_time(text: str, publication_date: str | date | None, prefer_future: bool = False) -> str | None:
    """The ISO date ("2015-06-04") or range ("2015-06-01/2015-06-07") a TIME expression names, or None."""
    anchor = parse_publication_date(publication_date)
    if anchor is None:
        return None
    phrase = _normalise(text)
    if not phrase or _clock_time(text, anchor):
        return None
    for name, pattern in _PATTERNS:
        match = pattern.match(phrase)
        if match:
            try:
                found = _RESOLVERS[name](match, anchor, prefer_future)
            except ValueError:  # February 30, a range that ends before it starts
                return None
            return None if found is None else _format(*found)
    return None


def resolve_extraction_times(extraction: Extraction, schema: Schema) -> Extraction:
    """Set `resolved` on the time mentions of a dated extraction, in its mention list and its arguments.

    Time mentions carry a label of the schema's time role; a time is looked ahead for when an event of a
    forward status (a planned one) takes it as its time.
    """
    anchor = parse_publication_date(extraction.date)
    time_role = schema.meanings.time_role
    if anchor is None or time_role is None:
        return extraction
    time_labels = set(schema.roles[time_role].labels)
    # A time that a planned event takes as its own lies ahead: its weekday is the coming one.
    future = {
        (a.mention.start, a.mention.end)
        for event in extraction.events
        if event.status in schema.meanings.forward_statuses
        for a in event.arguments
        if a.role == time_role
    }
    cache: dict[tuple[int, int], str | None] = {}

    def resolve(mention) -> None:
        if mention.label not in time_labels:
            return
        key = (mention.start, mention.end)
        if key not in cache:
            cache[key] = resolve_time(mention.text, anchor, prefer_future=key in future)
        mention.resolved = cache[key]

    for mention in extraction.mentions:
        resolve(mention)
    for event in extraction.events:
        for argument in event.arguments:
            resolve(argument.mention)
    return extraction


# -- pieces -------------------------------------------------------------------------------------------------------


def _clock_time(text: str, anchor: date) -> bool:
    """A bare four-digit number that reads as a 24-hour clock ("scheduled for 1900 (1800 GMT)") and lies over
    50 years before publication: the time of day of a meeting, not the year 1900."""
    digits = text.strip()
    if not re.fullmatch(r"\d{4}", digits):
        return False
    hours, minutes, year = int(digits[:2]), int(digits[2:]), int(digits)
    return hours < 24 and minutes < 60 and year < anchor.year - 50


def _normalise(text: str) -> str:
    phrase = text.lower().strip()
    phrase = re.sub(r"[\u2010-\u2015\u2212]", "-", phrase)
    phrase = re.sub(r"['\u2019]s\b", "", phrase)  # Friday's
    phrase = re.sub(r"(?<=[a-z])\.", "", phrase)  # Jan. 5
    phrase = re.sub(r"\s+", " ", phrase).strip(" ,.;:")
    phrase = re.sub(r"\bmid\s*-\s*", "mid ", phrase)
    phrase = _LEADING.sub("", phrase)
    phrase = _TRAILING.sub("", phrase)
    return phrase.strip(" ,")


def _format(start: date, end: date | None = None) -> str:
    if end is None or end == start:
        return start.isoformat()
    return f"{start.isoformat()}/{end.isoformat()}"


def _nearest_year(anchor: date, month: int, day: int, year: str | None) -> int:
    """The given year, else the one of anchor's year -1, 0, +1 that puts month/day nearest the anchor."""
    if year:
        return int(year)
    candidates = []
    for y in (anchor.year - 1, anchor.year, anchor.year + 1):
        clamped = min(day, calendar.monthrange(y, month)[1])  # February 29 in a common year
        candidates.append((abs((date(y, month, clamped) - anchor).days), y))
    return min(candidates)[1]


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _range(start: date, end: date) -> tuple[date, date]:
    if end < start:
        raise ValueError("range ends before it starts")
    return start, end


def _iso(match, anchor, prefer_future):
    year, month = int(match["y"]), int(match["m"])
    if match["d"]:
        return (date(year, month, int(match["d"])),)
    return date(year, month, 1), _month_end(year, month)


def _month_days(match, anchor, prefer_future):
    month = MONTHS[match["m"]]
    year = _nearest_year(anchor, month, int(match["d1"]), match["y"])
    return _range(date(year, month, int(match["d1"])), date(year, month, int(match["d2"])))


def _month_day_month_day(match, anchor, prefer_future):
    m1, m2 = MONTHS[match["m1"]], MONTHS[match["m2"]]
    year = _nearest_year(anchor, m1, int(match["d1"]), None) if not match["y"] else int(match["y"])
    # "December 28 - January 2" crosses into the next year; an explicit year belongs to the end date.
    end_year = year + 1 if m2 < m1 else year
    if match["y"] and m2 < m1:
        year, end_year = year - 1, year
    return _range(date(year, m1, int(match["d1"])), date(end_year, m2, int(match["d2"])))


def _month_day(match, anchor, prefer_future):
    month, day = MONTHS[match["m"]], int(match["d"])
    return (date(_nearest_year(anchor, month, day, match["y"]), month, day),)


def _week_of_month(match, anchor, prefer_future):
    month = MONTHS[match["m"]]
    year = _nearest_year(anchor, month, 15, match["y"])
    if match["nth"] in ("last", "final"):
        end = _month_end(year, month)
        return end - timedelta(days=6), end
    first = 1 + 7 * ORDINAL_WEEKS[match["nth"]]
    return date(year, month, first), date(year, month, first + 6)


def _part_of_month(match, anchor, prefer_future):
    month = MONTHS[match["m"]]
    year = _nearest_year(anchor, month, 15, match["y"])
    part = match["part"]
    if part in ("early", "beginning of", "start of"):
        return date(year, month, 1), date(year, month, 10)
    if part in ("mid", "middle of"):
        return date(year, month, 11), date(year, month, 20)
    return date(year, month, 21), _month_end(year, month)


def _month(match, anchor, prefer_future):
    month = MONTHS[match["m"]]
    year = _nearest_year(anchor, month, 15, match["y"])
    return date(year, month, 1), _month_end(year, month)


def _year(match, anchor, prefer_future):
    year = int(match["y"])
    return date(year, 1, 1), date(year, 12, 31)


def _relative_day(match, anchor, prefer_future):
    offsets = {"yesterday": -1, "last night": -1, "tomorrow": 1, "day before yesterday": -2, "day after tomorrow": 2}
    return (anchor + timedelta(days=offsets.get(match["word"], 0)),)


def _weekday(match, anchor, prefer_future):
    target = WEEKDAYS[match["wd"]]
    which = match["which"]
    ahead = (target - anchor.weekday()) % 7  # days to the next such weekday, 0 if today
    if which == "this":
        return (anchor + timedelta(days=target - anchor.weekday()),)
    if which in ("next", "coming"):
        return (anchor + timedelta(days=ahead or 7),)
    if which in ("last", "past"):
        return (anchor - timedelta(days=(7 - ahead) % 7 or 7),)
    if ahead == 0:
        return (anchor,)
    return (anchor + timedelta(days=ahead),) if prefer_future else (anchor - timedelta(days=7 - ahead),)


def _period(match, anchor, prefer_future):
    step = {"this": 0, "current": 0, "last": -1, "past": -1, "previous": -1, "next": 1, "coming": 1}[match["which"]]
    unit = match["unit"]
    if unit in ("week", "weekend"):
        monday = anchor - timedelta(days=anchor.weekday()) + timedelta(weeks=step)
        if unit == "weekend":
            return monday + timedelta(days=5), monday + timedelta(days=6)
        return monday, monday + timedelta(days=6)
    if unit == "month":
        month_index = anchor.year * 12 + anchor.month - 1 + step
        year, month = divmod(month_index, 12)
        return date(year, month + 1, 1), _month_end(year, month + 1)
    year = anchor.year + step
    return date(year, 1, 1), date(year, 12, 31)


def _count(word: str) -> int:
    return int(word) if word.isdigit() else NUMBERS[word]


def _ago(match, anchor, prefer_future):
    days = _count(match["n"]) * (7 if match["unit"].startswith("week") else 1)
    return (anchor - timedelta(days=days),)


def _from_now(match, anchor, prefer_future):
    days = _count(match["n"]) * (7 if match["unit"].startswith("week") else 1)
    return (anchor + timedelta(days=days),)


_RESOLVERS = {
    "iso": _iso,
    "month_days": _month_days,
    "days_month": _month_days,
    "month_day_month_day": _month_day_month_day,
    "month_day": _month_day,
    "day_month": _month_day,
    "week_of_month": _week_of_month,
    "part_of_month": _part_of_month,
    "month": _month,
    "year": _year,
    "relative_day": _relative_day,
    "weekday": _weekday,
    "period": _period,
    "ago": _ago,
    "from_now": _from_now,
}
