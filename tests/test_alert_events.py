"""Joining reports of one event across languages: the evidence, the days, the window."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from alerts.events import EventIndex, resolve_days, signature
from newswatch.messages import EventEvidence
from processors import Classifier, load_ruleset
from processors.evidence import event_evidence
from tests.processutil import DEFAULT_RULES

AT = datetime(2025, 2, 22, 6, 0, tzinfo=timezone.utc)  # a Saturday


def evidence(*terms: str, dates: tuple[str, ...] = (), weekdays: tuple[int, ...] = (),
             numbers: tuple[str, ...] = ()) -> EventEvidence:
    return EventEvidence(terms=terms, dates=dates, weekdays=weekdays, numbers=numbers)


@pytest.fixture(scope="module")
def default() -> Classifier:
    return Classifier(load_ruleset(DEFAULT_RULES))


class TestEvidence:
    def test_dates_weekdays_and_numbers_are_read_in_every_script(self):
        ev = event_evidence([("title", "Seoul protests"), (
            "text", "On Tuesday, Feb. 22, the 20th ceremony; 22日に抗議、지난 15일 280척")],
            ["dokdo", "korea"])
        assert ev.terms == ("dokdo",)  # lists every story has are left out
        assert ev.dates == ("02-22", "--22", "--15")
        assert ev.weekdays == (1,)
        assert ev.numbers == ("20", "280")

    def test_a_matched_decision_carries_its_evidence_and_a_plain_one_none(self, default):
        matched = default.classify_text("a", "竹島の日式典に韓国が抗議",
                                        "韓国外務省は22日、島根県の「竹島の日」式典に抗議した。")
        assert "dokdo" in matched.evidence.terms and "--22" in matched.evidence.dates
        plain = default.classify_text("b", "Weather", "Rain is expected on Tuesday, May 3.")
        assert plain.evidence == EventEvidence()


class TestDays:
    def test_days_are_placed_against_the_publication_time(self):
        days = resolve_days(evidence(dates=("02-22", "--21", "2024-02-22"), weekdays=(1,)), AT)
        assert days == {date(2025, 2, 22), date(2025, 2, 21), date(2024, 2, 22),
                        date(2025, 2, 18)}

    def test_a_month_day_well_ahead_is_last_year(self):
        assert resolve_days(evidence(dates=("12-30",)), AT) == {date(2024, 12, 30)}


class TestIndex:
    def _index(self) -> EventIndex:
        return EventIndex(timedelta(hours=36), 0.5, 1)

    def test_the_same_event_in_another_language_is_found(self):
        index = self._index()
        index.add("dispute", "ko-1", signature(evidence(
            "dokdo", "protest_words", "formal_protest", dates=("--22",)), ("dispute",), AT), AT)
        index.add("dispute", "other", signature(evidence(
            "gsomia", "export_controls"), ("dispute",), AT), AT)
        later = AT + timedelta(hours=2)
        ja = signature(evidence("dokdo", "protest_words", "formal_protest", weekdays=(5,)),
                       ("dispute",), later)
        assert index.find("dispute", ja, later) == "ko-1"
        assert index.find("cooperation", ja, later) is None  # per route

    def test_a_conflicting_day_keeps_two_protests_apart(self):
        index = self._index()
        index.add("dispute", "2024", signature(evidence(
            "dokdo", "protest_words", dates=("2024-02-22",)), ("dispute",), AT), AT)
        again = signature(evidence("dokdo", "protest_words", dates=("02-22",)),
                          ("dispute",), AT)
        assert index.find("dispute", again, AT) is None

    def test_no_shared_category_is_no_event(self):
        index = self._index()
        index.add("all", "a", signature(evidence("trilateral", "exercise_words"),
                                        ("cooperation", "drills"), AT), AT)
        assert index.find("all", signature(evidence("trilateral", "exercise_words"),
                                           ("dispute",), AT), AT) is None

    def test_memory_is_bounded_by_the_window(self):
        index = self._index()
        for i in range(50):
            at = AT + timedelta(hours=i)
            index.add("r", f"a{i}", signature(evidence("dokdo", f"t{i}"), ("dispute",), at), at)
        index.prune(AT + timedelta(hours=60))
        assert len(index) == 26  # opened in the last 36 hours: hours 24 to 49


class TestNoFalseDates:
    def test_words_that_start_like_months_and_durations_are_not_dates(self):
        ev = event_evidence([("text", "3 Marines landed; Mayor 5 spoke; a Decade 5 plan; "
                                      "訓練は3日間、훈련은 3일간 이어졌다. On 5 March and Sept. 9.")],
                            ["dokdo"])
        assert ev.dates == ("03-05", "09-09")
