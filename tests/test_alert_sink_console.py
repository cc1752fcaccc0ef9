"""The console target: readable at a glance, and feed text prints as plain characters."""

from __future__ import annotations

import io

from rich.console import Console

from alerts.config import Delivery
from alerts.render import DigestItem, alert_view, digest_view, to_slack
from alerts.sinks import make_sink
from alerts.sinks.console import ConsoleSink
from newswatch.messages import Match
from newswatch.settings import Settings
from tests.alertutil import decision


def printed(view) -> str:
    out = io.StringIO()
    ConsoleSink(Console(file=out, width=110, color_system=None)).post("C0X", to_slack(view))
    return out.getvalue()


def test_alert_shows_label_title_link_source_evidence_and_ids():
    title = "Japan repeats Dokdo claim in white paper"
    d = decision("c1", title=title, severity="critical", matches=(
        Match(rule_id="dokdo-claim", category="dispute", text="Dokdo", field="title",
              start=14, end=19, sentence=title),))
    text = printed(alert_view(d, alert_id="f" * 16, route="dispute", channel="#kr-jp-dispute",
                              mentions=("S0DUTY0001",)))
    for expected in ("DISPUTE · CRITICAL", title, "https://news.example.org/c1",
                     "Yonhap · published 2026-01-30 08:00 UTC", "notify: S0DUTY0001",
                     "dokdo-claim", "article c1", "alert ffffffffffffffff",
                     "dispute → #kr-jp-dispute"):
        assert expected in text, expected


def test_markup_and_escape_sequences_in_feed_text_print_as_text():
    d = decision("c2", title="[bold red]Dokdo[/] \x1b[31mred\x1b[0m :warning:")
    text = printed(alert_view(d, alert_id="a" * 16, route="r", channel="C0X"))
    assert "[bold red]Dokdo[/]" in text
    assert "\x1b" not in text


def test_digest_and_follow_up_forms():
    items = [DigestItem(f"{i:016d}", f"Story {i}", None, "high", ("dispute",), "r")
             for i in range(3)]
    text = printed(digest_view(digest_id="d" * 16, channel="C0X", items=items,
                               reason="more than 1/s", max_items=2))
    assert "3 alert(s) held back" in text and "Story 1" in text and "…and 1 more" in text
    follow = printed(alert_view(decision("c3", source="Kyodo"), alert_id="b" * 16, route="r",
                                channel="C0X", kind="follow-up"))
    assert "↳ also reported by Kyodo" in follow


def test_no_slack_settings_means_the_console():
    settings = Settings.load(slack_bot_token=None, slack_webhook_url=None)
    assert isinstance(make_sink(settings, Delivery()), ConsoleSink)
