"""Golden ids: article, content and alert ids for fixed inputs, written out literally.

Every other test computes ids with the code under test, so a change to the id scheme would
pass them all and then, in production, re-collect every retained article and re-alert every
story. If one of these fails, the scheme changed: change the literal only on purpose, and
write the migration (what happens to the ledger and the collector's state) in the README.
"""

from __future__ import annotations

from datetime import datetime, timezone

from alerts.identity import alert_id, copy_id, digest_id, story_key
from collectors.config import Feed
from collectors.normalize import to_articles
from collectors.sources.base import Entry, ParsedFeed

AT = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
FEED = Feed(id="yonhap-en", url="https://example.org/rss.xml", language="en")
PARSED = ParsedFeed(entries=(
    Entry(guid="g-1", link="http://www.example.org/news/dokdo-talks/?utm_source=rss&id=7#top",
          title="Seoul protests Dokdo claim", summary="Summary.", published=AT),
    Entry(guid="g-2", link=None, title="Defense talks held", summary="Ministers met.",
          published=AT),
    Entry(guid=None, link=None, title="독도 관련 속보", summary="요약", published=AT),
), title="Example", link="https://example.org/")


def test_article_and_content_ids_by_link_by_guid_and_by_item():
    articles = to_articles(FEED, PARSED, fetched_at=AT)
    assert [(a.id, a.content_hash) for a in articles] == [
        ("5a7b0d3b4a86b561", "e0cc062a36ee9758"),  # by canonical link
        ("3607d80b170566f4", "d44fec16b8e919c6"),  # by feed and guid
        ("5619c5de600b7532", "f56e76bd22ce38cb"),  # by feed, title and date
    ]


def test_story_alert_copy_and_digest_ids():
    story = story_key("http://www.example.org/news/dokdo-talks/?utm_source=x&id=7", "ignored")
    assert story == "https://example.org/news/dokdo-talks?id=7"
    assert story_key(None, "abc123") == "article:abc123"
    assert alert_id(story, "watch-floor") == "c01e942f562a7b2c"
    assert copy_id(story, "watch-floor", "abc") == "4782d6b80ad1b93f"
    assert digest_id("#watch", "a1") == "8a3bab8d3f919eac"
