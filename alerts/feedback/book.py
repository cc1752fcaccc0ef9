"""The officers' marks so far, as the last record per key of `newswatch.feedback`.

The alerter asks it whether a story is muted; the endpoint asks it what to show under an
alert; `feedback report` and `replay --labels feedback` read every judgement from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from alerts.feedback.actions import JUDGEMENTS, LABELS
from alerts.feedback.clicks import SLACK_USER
from alerts.safetext import slack_text
from newswatch.broker.follow import TopicFollower
from newswatch.messages import Mark
from newswatch.settings import Settings
from newswatch.topics import Topics


@dataclass(frozen=True)
class Mute:
    """A story muted on one route (the channel its alert went to)."""

    story: str
    story_url: str
    route: str
    user: str
    at: datetime

    def describe(self) -> str:
        return f"{self.user} at {self.at.strftime('%Y-%m-%d %H:%M:%SZ')}"


class Mutes(Protocol):
    """What the alerter asks before posting a report: is its story muted?"""

    def muted(self, *, story: str | None = None, url_key: str | None = None,
              route: str = "") -> Mute | None:
        """The mute on this story, if an officer muted it."""


class FeedbackBook:
    """Marks by compaction key (one judgement per alert and officer, one mute per story)."""

    def __init__(self) -> None:
        self._marks: dict[str, Mark] = {}
        self._by_alert: dict[str, set[str]] = {}
        self._mutes: dict[str, Mute] = {}
        self._muted_urls: dict[tuple[str, str], str] = {}

    def apply(self, mark: Mark) -> None:
        key = mark.key  # the last record of a key wins, as compaction keeps it
        self._marks[key] = mark
        self._by_alert.setdefault(mark.alert_id, set()).add(key)
        story = mark.story or mark.alert_id
        if mark.action == "mute":
            self._mutes[story] = Mute(story, mark.story_url, mark.route, mark.user, mark.at)
            if mark.story_url:
                self._muted_urls[(mark.route, mark.story_url)] = story
        elif mark.action == "unmute":
            gone = self._mutes.pop(story, None)
            if gone is not None and gone.story_url:
                self._muted_urls.pop((gone.route, gone.story_url), None)

    # ---------------------------------------------------------------- mutes

    def muted(self, *, story: str | None = None, url_key: str | None = None,
              route: str = "") -> Mute | None:
        """The mute on this story (by its first alert, which is one route's), or on its
        first article's URL on `route`: another route's alert of it is not muted."""
        if story and story in self._mutes:
            return self._mutes[story]
        if url_key and (route, url_key) in self._muted_urls:
            return self._mutes.get(self._muted_urls[(route, url_key)])
        return None

    def mutes(self) -> list[Mute]:
        return sorted(self._mutes.values(), key=lambda m: m.at)

    # ---------------------------------------------------------------- judgements

    def judgements(self) -> list[Mark]:
        """The last judgement of every officer on every alert, oldest first."""
        return sorted((m for m in self._marks.values() if m.action in JUDGEMENTS),
                      key=lambda m: m.at)

    def for_alert(self, alert_id: str) -> list[Mark]:
        keys = self._by_alert.get(alert_id, set())
        return sorted((self._marks[k] for k in keys if self._marks[k].alert_id == alert_id),
                      key=lambda m: m.at)

    def line_for(self, alert_ids: list[str]) -> str:
        """What the message shows: each officer's mark, mentions from verified user ids."""
        parts = []
        for index, alert_id in enumerate(alert_ids):
            for mark in self.for_alert(alert_id):
                what = LABELS[mark.action].lower()
                if mark.action == "wrong-category":
                    what = f"should be {mark.category}"
                elif mark.action == "mute":
                    what = "story muted"
                elif mark.action == "unmute":
                    what = "story unmuted"
                item = f"item {index + 1}: " if len(alert_ids) > 1 else ""
                who = f"<@{mark.user}>" if SLACK_USER.match(mark.user) \
                    else slack_text(mark.user, 40)  # an unmute from the command line
                parts.append(f"{item}{what} by {who}")
        return "Marked " + " · ".join(parts) if parts else ""


class FeedbackReader(TopicFollower):
    """Follows `newswatch.feedback` into a FeedbackBook."""

    what = "the officers' marks"

    def __init__(self, settings: Settings, book: FeedbackBook,
                 client_id: str = "newswatch-feedback") -> None:
        self.book = book
        super().__init__(settings, Topics.from_settings(settings).feedback, Mark,
                         book.apply, client_id=client_id)  # type: ignore[arg-type]


def load_book(settings: Settings) -> FeedbackBook:
    """Every mark so far (for reports and replays: read once, then closed)."""
    book = FeedbackBook()
    reader = FeedbackReader(settings, book, client_id="newswatch-feedback-report")
    try:
        reader.catch_up()
    finally:
        reader.close()
    return book
