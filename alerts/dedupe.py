"""Story de-duplication: several feeds carrying one story give one alert per route.

Same canonical URL is caught by the alert id itself (see identity.py). This module catches
the other case: a different URL whose title is near-identical to one alerted on the same
route inside the window ("S. Korea, Japan agree ... - Yonhap" and "South Korea, Japan agree
..."). Titles are compared as sets of character trigrams, which works the same for English,
Korean and Japanese (no word segmentation needed).
"""

from __future__ import annotations

import re
import unicodedata
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

_SUFFIX_SPLIT = re.compile(r"\s+[-|–—:]\s+")
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
_ABBREVIATIONS = {"s korea": "south korea", "n korea": "north korea", "rok": "south korea"}


def normalize_title(title: str) -> str:
    """Lowercase words only, without a trailing ' - Source Name' and common abbreviations."""
    text = unicodedata.normalize("NFKC", title or "").strip()
    parts = _SUFFIX_SPLIT.split(text)
    # "Headline words here - Yonhap News Agency": drop a short last segment (the source).
    if len(parts) > 1 and len(parts[-1].split()) <= 5 and len(" ".join(parts[:-1]).split()) >= 3:
        text = " ".join(parts[:-1])
    text = _NON_WORD.sub(" ", text.casefold()).strip()
    for short, full in _ABBREVIATIONS.items():
        text = re.sub(rf"\b{short}\b", full, text)
    return text


def shingles(normalized: str) -> frozenset[str]:
    if len(normalized) < 3:
        return frozenset({normalized}) if normalized else frozenset()
    return frozenset(normalized[i:i + 3] for i in range(len(normalized) - 2))


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


@dataclass(frozen=True)
class Seen:
    alert_id: str
    at: datetime
    normalized: str
    grams: frozenset[str]


class StoryIndex:
    """Titles alerted per route inside the window; `find` gives the alert a new title copies."""

    # Titles this short say too little to call two stories the same unless they are equal.
    MIN_FUZZY_LENGTH = 12

    def __init__(self, window: timedelta, threshold: float) -> None:
        self.window = window
        self.threshold = threshold
        self._by_route: dict[str, deque[Seen]] = {}
        self._ids: set[str] = set()

    def add(self, route: str, alert_id: str, title: str, at: datetime) -> None:
        if alert_id in self._ids:
            return
        normalized = normalize_title(title)
        if not normalized:
            return
        self._ids.add(alert_id)
        entries = self._by_route.setdefault(route, deque())
        entries.append(Seen(alert_id, at, normalized, shingles(normalized)))
        if len(entries) > 1 and entries[-2].at > at:  # rebuilt out of order: keep sorted
            self._by_route[route] = deque(sorted(entries, key=lambda s: s.at))

    def find(self, route: str, title: str, now: datetime) -> str | None:
        self.prune(now)
        normalized = normalize_title(title)
        if not normalized:
            return None
        grams = shingles(normalized)
        best: tuple[float, str] | None = None
        for seen in reversed(self._by_route.get(route, ())):
            if seen.normalized == normalized:
                return seen.alert_id
            if min(len(normalized), len(seen.normalized)) < self.MIN_FUZZY_LENGTH:
                continue
            score = similarity(grams, seen.grams)
            if score >= self.threshold and (best is None or score > best[0]):
                best = (score, seen.alert_id)
        return best[1] if best else None

    def prune(self, now: datetime) -> None:
        horizon = now - self.window
        for entries in self._by_route.values():
            while entries and entries[0].at < horizon:
                self._ids.discard(entries.popleft().alert_id)
