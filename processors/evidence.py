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

MAX_CHARS = 4000
MAX_ITEMS = 12
# Term lists every Korea–Japan story has: they say nothing about which event it is.
COMMON_TERMS = frozenset({"korea", "japan", "korea_or_japan", "pair_words", "meeting_words"})

_MONTHS = {m: i + 1 for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))}
_MONTH = r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]{0,6}\.?"
_ISO = re.compile(r"\b(\d{4})[-./](\d{1,2})[-./](\d{1,2})\b")
_EN_MD = re.compile(_MONTH + r" (\d{1,2})\b")
_EN_DM = re.compile(r"\b(\d{1,2}) " + _MONTH)
_CJK_MD = re.compile(r"(\d{1,2}) ?[月월] ?(\d{1,2}) ?[日일]")
_CJK_D = re.compile(r"(\d{1,2}) ?[日일](?![本韓米中])")
_WEEKDAYS_EN = re.compile(r"\b(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b")
_WEEKDAYS_CJK = re.compile(r"([월화수목금토일])요일|([月火水木金土日])曜")
_NUMBER = re.compile(r"\d[\d,]*")
_EN_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_CJK_DAYS = {c: i for i, c in enumerate("월화수목금토일")} | \
    {c: i for i, c in enumerate("月火水木金土日")}


def event_evidence(fields: Iterable[tuple[str, str]], terms: Iterable[str]) -> EventEvidence:
    text = " \n".join(t for _name, t in fields if t)[:MAX_CHARS]
    dates: list[str] = []
    taken: list[tuple[int, int]] = []

    def add(value: str, span: tuple[int, int]) -> None:
        if not any(a <= span[0] < b for a, b in taken):
            taken.append(span)
            if value not in dates:
                dates.append(value)

    for m in _ISO.finditer(text):
        month, day = int(m.group(2)), int(m.group(3))
        if 1 <= month <= 12 and 1 <= day <= 31:
            add(f"{m.group(1)}-{month:02d}-{day:02d}", m.span())
    for pattern, mi, di in ((_EN_MD, 1, 2), (_EN_DM, 2, 1)):
        for m in pattern.finditer(text):
            month, day = _MONTHS[m.group(mi)[:3].lower()], int(m.group(di))
            if 1 <= day <= 31:
                add(f"{month:02d}-{day:02d}", m.span())
    for m in _CJK_MD.finditer(text):
        month, day = int(m.group(1)), int(m.group(2))
        if 1 <= month <= 12 and 1 <= day <= 31:
            add(f"{month:02d}-{day:02d}", m.span())
    for m in _CJK_D.finditer(text):
        day = int(m.group(1))
        if 1 <= day <= 31:
            add(f"--{day:02d}", m.span())
    weekdays = {_EN_DAYS.index(m.group(1).lower()) for m in _WEEKDAYS_EN.finditer(text)}
    weekdays |= {_CJK_DAYS[m.group(1) or m.group(2)] for m in _WEEKDAYS_CJK.finditer(text)}
    numbers: list[str] = []
    for m in _NUMBER.finditer(text):
        if any(a <= m.start() < b for a, b in taken):
            continue
        value = m.group().replace(",", "").lstrip("0")
        if len(value) >= 2 and value not in numbers:
            numbers.append(value)
    return EventEvidence(terms=tuple(sorted(set(terms) - COMMON_TERMS)),
                         dates=tuple(dates[:MAX_ITEMS]), weekdays=tuple(sorted(weekdays)),
                         numbers=tuple(numbers[:MAX_ITEMS]))
