"""One event, many reports: joining a Korean, a Japanese and an English report of the same
Dokdo protest or trilateral drill into one alert, across outlets and languages.

Titles cannot do it across scripts, so an event is compared by the evidence the classifier
records in every decision, which is the same in every language:
  - the rules' term lists the article contains (독도, 竹島 and Dokdo are all `dokdo`), each
    weighted by how rare it is among the stories open in the window (a list every story has
    says nothing);
  - the categories (two reports of one event share at least one);
  - the days it names ("on Tuesday", "22日", "Feb. 22", "지난 22일"), placed against its
    publication time: two reports naming different days are different events, which is what
    keeps two Dokdo protests a year apart, or two launches in one week, apart;
  - the numbers it gives (ships, aircraft, the 20th ceremony).
Two reports are one event when they are close in time, share a category, name no
conflicting day, share at least two lists, and the shared lists make up at least
`min_similarity` of the weighted evidence of the shorter report (a short wire item and a
long feature about one event still agree).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from newswatch.messages import EventEvidence

DATE_BONUS = 0.15
NUMBER_BONUS = 0.1
MIN_SHARED = 2


@dataclass(frozen=True)
class Signature:
    terms: frozenset[str]
    categories: frozenset[str]
    days: frozenset[date]
    numbers: frozenset[str]
    at: datetime


def resolve_days(evidence: EventEvidence, at: datetime) -> frozenset[date]:
    """The calendar days an article names, placed against its publication time `at`."""
    today = at.date()
    days: set[date] = set()
    for raw in evidence.dates:
        try:
            if raw.startswith("--"):  # a day of the month alone: this month or the last
                day = int(raw[2:])
                for back in range(3):
                    year, month = divmod(today.year * 12 + today.month - 1 - back, 12)
                    try:
                        candidate = date(year, month + 1, day)
                    except ValueError:
                        continue
                    if candidate <= today + timedelta(days=1):
                        days.add(candidate)
                        break
            elif len(raw) == 5:  # MM-DD: this year, or last year if that is well ahead
                month, day = int(raw[:2]), int(raw[3:])
                candidate = date(today.year, month, day)
                if candidate > today + timedelta(days=45):
                    candidate = date(today.year - 1, month, day)
                days.add(candidate)
            else:
                days.add(date.fromisoformat(raw))
        except ValueError:
            continue
    for weekday in evidence.weekdays:  # "on Tuesday": the last Tuesday up to today
        days.add(today - timedelta(days=(today.weekday() - weekday) % 7))
    return frozenset(days)


def signature(evidence: EventEvidence, categories: tuple[str, ...], at: datetime) -> Signature:
    return Signature(frozenset(evidence.terms), frozenset(categories),
                     resolve_days(evidence, at), frozenset(evidence.numbers), at)


def days_conflict(a: frozenset[date], b: frozenset[date], tolerance: int) -> bool:
    """Both name days, and none of one is within `tolerance` days of one of the other."""
    if not a or not b:
        return False
    return not any(abs((x - y).days) <= tolerance for x in a for y in b)


class EventIndex:
    """Signatures of the alerts open in the window, per route, with the counts that give
    each term list its weight. Memory is bounded by the window: older entries are dropped."""

    # Candidates come from the postings of a signature's rarest lists only; when even those
    # are common (every open story names Dokdo), every story open on the route is compared:
    # bench_events measures that case (p99 ~10-20 ms with 10,000 open stories).
    PROBE_TERMS = 4

    def __init__(self, window: timedelta, min_similarity: float, tolerance_days: int) -> None:
        self.window = window
        self.min_similarity = min_similarity
        self.tolerance_days = tolerance_days
        self._by_route: dict[str, deque[tuple[datetime, str, Signature]]] = {}
        self._postings: dict[str, dict[str, set[str]]] = {}
        self._signatures: dict[str, Signature] = {}
        self._df: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._signatures)

    def weight(self, term: str) -> float:
        n = len(self._signatures)
        return math.log((n + 10) / (self._df.get(term, 0) + 1))

    def similarity(self, a: Signature, b: Signature) -> float:
        """Weighted agreement of the evidence, 0..1 (plus small bonuses for a shared day and
        a shared number); 0 when the two cannot be one event."""
        if not (a.categories & b.categories):
            return 0.0
        if days_conflict(a.days, b.days, self.tolerance_days):
            return 0.0
        common = a.terms & b.terms
        if len(common) < MIN_SHARED:
            return 0.0
        total = min(sum(self.weight(t) for t in a.terms), sum(self.weight(t) for t in b.terms))
        shared = sum(self.weight(t) for t in common)
        score = shared / total if total else 0.0
        if a.days and b.days:
            score += DATE_BONUS
        if a.numbers & b.numbers:
            score += NUMBER_BONUS
        return score

    def add(self, route: str, alert_id: str, sig: Signature, seen_at: datetime) -> None:
        """Index an alert opened at `seen_at` (kept until the window has passed since)."""
        if alert_id in self._signatures:
            return
        self._signatures[alert_id] = sig
        entries = self._by_route.setdefault(route, deque())
        entries.append((seen_at, alert_id, sig))
        if len(entries) > 1 and entries[-2][0] > seen_at:  # rebuilt out of order
            self._by_route[route] = deque(sorted(entries, key=lambda e: e[0]))
        postings = self._postings.setdefault(route, {})
        for term in sig.terms:
            postings.setdefault(term, set()).add(alert_id)
            self._df[term] = self._df.get(term, 0) + 1

    def find(self, route: str, sig: Signature, now: datetime) -> str | None:
        """The open alert on `route` whose event this signature reports, if any."""
        self.prune(now)
        postings = self._postings.get(route)
        if not postings or not sig.terms:
            return None
        probe = sorted(sig.terms, key=lambda t: self._df.get(t, 0))[:self.PROBE_TERMS]
        candidates: set[str] = set()
        for term in probe:
            candidates |= postings.get(term, set())
        best: tuple[float, str] | None = None
        for alert_id in candidates:
            other = self._signatures[alert_id]
            if abs(other.at - sig.at) > self.window:
                continue
            score = self.similarity(sig, other)
            if score >= self.min_similarity and (best is None or score > best[0]):
                best = (score, alert_id)
        return best[1] if best else None

    def prune(self, now: datetime) -> None:
        horizon = now - self.window
        for route, entries in self._by_route.items():
            postings = self._postings[route]
            while entries and entries[0][0] < horizon:
                _seen, alert_id, sig = entries.popleft()
                del self._signatures[alert_id]
                for term in sig.terms:
                    ids = postings.get(term)
                    if ids is not None:
                        ids.discard(alert_id)
                        if not ids:
                            del postings[term]
                    self._df[term] -= 1
                    if not self._df[term]:
                        del self._df[term]
