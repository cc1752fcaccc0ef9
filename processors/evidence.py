"""Language-independent evidence of an article's event, for joining reports across outlets.

The term lists come from the classifier (a list holds the aliases of every script). Dates,
weekdays and numbers are read here with fixed expressions that cannot backtrack (each is a
run of digits or a fixed word, no nested repetition), on at most `MAX_CHARS` characters.
Dates stay as written ("10-14", "--22" for a day alone, "2019-10-14"); the alerter places
them against the article's publication time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from newswatch.messages import EventEvidence

MAX_CHARS = 2000  # the headline, the lead and the first paragraphs: where the date is
MAX_ITEMS = 12
# Term lists every Korea–Japan story has: they say nothing about which event it is.
COMMON_TERMS = frozenset({"korea", "japan", "korea_or_japan", "pair_words", "meeting_words"})

_MONTHS = {m: i + 1 for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))}
# A month's name or its abbreviation, never the start of another word (Marines, Mayor).
_MONTH = (r"(?<![A-Za-z])(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
          r"(?:uary|ruary|ch|il|e|y|ust|t|tember|ober|ember)?\.?(?![A-Za-z])")
# Dates and numbers are found from the runs of digits (a few per article), each looked at
# with anchored patterns around it; weekdays by their fixed words.
_RUN = re.compile(r"\d[\d,]*(?:[-./]\d{1,2}[-./]\d{1,2}(?!\d))?")
_ISO = re.compile(r"(\d{4})[-./](\d{1,2})[-./](\d{1,2})")
_MONTH_BEFORE = re.compile(_MONTH + r" $")
_MONTH_AFTER = re.compile(r" " + _MONTH)
_CJK_MONTH_DAY = re.compile(r" ?[月월] ?(\d{1,2}) ?[日일]")
_CJK_DAY = re.compile(r" ?[日일](?![本韓米中間간])")  # not 日本, not "3日間" (three days)
_WEEKDAYS_EN = re.compile(r"(Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day")
_WEEKDAYS_CJK = re.compile(r"([월화수목금토일])요일|([月火水木金土日])曜")
_EN_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CJK_DAYS = {c: i for i, c in enumerate("월화수목금토일")} | \
    {c: i for i, c in enumerate("月火水木金土日")}


def event_evidence(fields: Iterable[tuple[str, str]], terms: Iterable[str]) -> EventEvidence:
    text = " \n".join(t for _name, t in fields if t)[:MAX_CHARS]
    dates: list[str] = []
    numbers: list[str] = []

    def date(month: int, day: int, year: int | None = None) -> None:
        if 1 <= month <= 12 and 1 <= day <= 31:
            value = f"{year}-{month:02d}-{day:02d}" if year else f"{month:02d}-{day:02d}"
            if value not in dates:
                dates.append(value)

    skip_to = 0
    for run in _RUN.finditer(text):
        start, end, value = run.start(), run.end(), run.group()
        if start < skip_to:
            continue
        iso = _ISO.fullmatch(value)
        if iso:
            date(int(iso.group(2)), int(iso.group(3)), int(iso.group(1)))
            continue
        digits = value.rstrip(",")
        if len(digits) <= 2 and digits.isdigit():
            number = int(digits)
            after = _CJK_MONTH_DAY.match(text, end)
            if after:
                date(number, int(after.group(1)))
                skip_to = after.end()
                continue
            if _CJK_DAY.match(text, end):
                if 1 <= number <= 31 and f"--{number:02d}" not in dates:
                    dates.append(f"--{number:02d}")
                continue
            before = _MONTH_BEFORE.search(text, max(0, start - 12), start)
            if before:
                date(_MONTHS[before.group(1).lower()], number)
                continue
            following = _MONTH_AFTER.match(text, end)
            if following:
                date(_MONTHS[following.group(1).lower()], number)
                continue
        number_text = digits.replace(",", "").lstrip("0")
        if len(number_text) >= 2 and number_text not in numbers:
            numbers.append(number_text)
    weekdays = {_EN_DAYS.index(m.group(1)[:3].lower()) for m in _WEEKDAYS_EN.finditer(text)}
    if "요일" in text or "曜" in text:
        weekdays |= {_CJK_DAYS[m.group(1) or m.group(2)] for m in _WEEKDAYS_CJK.finditer(text)}
    return EventEvidence(terms=tuple(sorted(set(terms) - COMMON_TERMS)),
                         dates=tuple(dates[:MAX_ITEMS]), weekdays=tuple(sorted(weekdays)),
                         numbers=tuple(numbers[:MAX_ITEMS]))
