"""Entries -> articles: plain text, dates, canonical URLs, ids, guid fallbacks, content hash."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from collectors.config import Feed
from collectors.normalize import (canonical_url, html_to_text, short_hash, to_articles,
                                  truncate, usable_date)
from collectors.sources import SOURCES
from collectors.sources.base import Entry, ParsedFeed
from tests.feedtools import Item, rss

NOW = datetime(2026, 2, 3, tzinfo=timezone.utc)
FEED = Feed(id="wire", url="https://news.example.org/rss", language="ko", tags=("korea",))
OTHER = Feed(id="digest", url="https://digest.example.org/rss")


def articles(entries, feed=FEED, link="https://news.example.org/"):
    return to_articles(feed, ParsedFeed(entries=tuple(entries), title="Wire", link=link),
                       fetched_at=NOW)


def from_rss(items, feed=FEED):
    parsed = SOURCES.get("rss")().parse(rss(items), url=feed.url, headers={})
    return to_articles(feed, parsed, fetched_at=NOW)


class TestPlainText:
    def test_script_and_html_in_titles_are_removed(self):
        [a] = from_rss([Item("&lt;script&gt;alert('x')&lt;/script&gt;Dokdo &lt;b&gt;drill&lt;/b&gt;"
                             " &amp;amp; more", "https://news.example.org/1", "g",
                             raw_title=True)])
        assert a.title == "Dokdo drill & more"

    def test_cdata_title_with_markup(self):
        [a] = from_rss([Item("<![CDATA[Seoul <em>and</em> Tokyo <script>x()</script>talk]]>",
                             "https://news.example.org/1", "g", raw_title=True)])
        assert a.title == "Seoul and Tokyo talk"

    def test_blocks_become_lines_and_inline_tags_vanish(self):
        text = html_to_text("<div><p>First <a href='javascript:x'>para</a>.</p><p>Second"
                            "<br>line</p><ul><li>a</li><li>b</li></ul><style>p{}</style>"
                            "<img src=x onerror=alert(1)><!-- note --></div>")
        assert text == "First para.\nSecond\nline\na\nb"

    def test_entities_are_decoded_once_and_text_stays_text(self):
        assert html_to_text("AT&amp;T &lt;b&gt; a &lt; b &#8217; &nbsp;x") == "AT&T <b> a < b ’ x"

    def test_control_characters_and_whitespace_are_cleaned(self):
        assert html_to_text("a\x00b\x1b[31m  c\u2028d\r\ne\t\tf", single_line=True) == \
            "ab[31m c d e f"

    def test_plain_text_without_markup_is_kept(self):
        assert html_to_text("Seoul, Tokyo agree") == "Seoul, Tokyo agree"

    def test_long_fields_are_truncated_at_a_word(self):
        out = truncate("word " * 1000, 100)
        assert len(out) <= 100 and out.endswith("…") and "wor…" not in out

    def test_summary_equal_to_content_is_not_repeated(self):
        [a] = articles([Entry("g", "https://news.example.org/1", "T", "<p>Same</p>", "Same")])
        assert a.summary == "Same" and a.content == ""


class TestDates:
    def test_feed_dates_become_utc(self):
        [a] = from_rss([Item("T", "https://news.example.org/1", "g",
                             pub_date="Tue, 03 Feb 2026 09:30:00 +0900")])
        assert a.published_at == datetime(2026, 2, 3, 0, 30, tzinfo=timezone.utc)
        assert a.fetched_at == NOW

    @pytest.mark.parametrize("value", ["not a date", "Mon, 45 Foo 2026 99:99:99", "",
                                       "0000-00-00T00:00:00Z", "Sun, 31 Dec 9999 23:59:59 GMT",
                                       "Thu, 01 Jan 1970 00:00:00 GMT", "2026-02-30"])
    def test_unusable_dates_are_null_never_a_crash(self, value):
        [a] = from_rss([Item("T", "https://news.example.org/1", "g", pub_date=value)])
        assert a.published_at is None

    def test_dates_too_far_in_the_future_or_past_are_null(self):
        assert usable_date(NOW + timedelta(days=30), NOW) is None
        assert usable_date(datetime(1985, 1, 1, tzinfo=timezone.utc), NOW) is None
        assert usable_date(NOW - timedelta(days=3), NOW) == NOW - timedelta(days=3)


class TestCanonicalUrl:
    @pytest.mark.parametrize("url,expected", [
        ("https://News.Example.ORG/a/b?utm_source=rss&utm_medium=feed#top",
         "https://news.example.org/a/b"),
        ("https://news.example.org/a?id=5&fbclid=XYZ&gclid=1&page=2",
         "https://news.example.org/a?id=5&page=2"),
        ("http://news.example.org:80/a", "http://news.example.org/a"),
        ("https://news.example.org:8443/a", "https://news.example.org:8443/a"),
        ("https://user:pw@news.example.org/a", "https://news.example.org/a"),
        ("https://news.example.org", "https://news.example.org/"),
        ("javascript:alert(1)", None), ("data:text/html,x", None), ("/relative", None),
        ("mailto:a@b.c", None), ("", None), (None, None), ("http://[::1", None),
    ])
    def test_canonical_forms(self, url, expected):
        assert canonical_url(url) == expected


class TestIds:
    def test_id_is_the_url_hash_and_ignores_tracking_and_scheme(self):
        a = articles([Entry("g1", "https://news.example.org/a/1?utm_source=x#c")])[0]
        b = articles([Entry("other", "http://news.example.org/a/1")], feed=OTHER)[0]
        assert a.id == b.id == short_hash("url", "//news.example.org/a/1")
        assert len(a.id) == 16 and a.url == "https://news.example.org/a/1"

    def test_without_a_link_the_id_comes_from_feed_and_guid(self):
        a = articles([Entry("guid-1", None, "T")])[0]
        assert a.id == short_hash("guid", "wire", "guid-1") and a.url is None
        assert articles([Entry("guid-1", None, "T")], feed=OTHER)[0].id != a.id

    def test_front_page_links_do_not_identify_items(self):
        ids = {a.id for a in articles([Entry("g1", "https://news.example.org/", "A"),
                                       Entry("g2", "https://news.example.org", "B")])}
        assert ids == {short_hash("guid", "wire", "g1"), short_hash("guid", "wire", "g2")}

    def test_a_link_shared_by_different_items_falls_back_to_guids(self):
        out = articles([Entry("g1", "https://news.example.org/live", "Update 1"),
                        Entry("g2", "https://news.example.org/live", "Update 2")])
        assert len({a.id for a in out}) == 2

    def test_missing_guids_and_links_fall_back_to_the_text(self):
        out = articles([Entry(None, None, "First story"), Entry(None, None, "Second story")])
        assert len({a.id for a in out}) == 2
        again = articles([Entry(None, None, "First story"), Entry(None, None, "Second story")])
        assert [a.id for a in again] == [a.id for a in out]  # stable across polls

    def test_a_guid_repeated_by_different_items_is_not_trusted(self):
        out = articles([Entry("same", None, "Story A"), Entry("same", None, "Story B")])
        assert len({a.id for a in out}) == 2

    def test_an_item_listed_twice_is_produced_once(self):
        item = Entry("g1", "https://news.example.org/a/1", "Same story")
        assert len(articles([item, item])) == 1

    def test_feed_language_tags_and_source(self):
        [a] = articles([Entry("g1", "https://news.example.org/a/1", "T")])
        assert (a.language, a.tags, a.source, a.feed_id) == ("ko", ("korea",), "Wire", "wire")
        named = Feed(id="x", url="https://x.example.org/", name="Yonhap")
        assert articles([Entry("g", "https://x.example.org/1")], feed=named)[0].source == \
            "Yonhap"


class TestContentHash:
    def test_edits_change_the_hash_but_not_the_id(self):
        a = articles([Entry("g1", "https://news.example.org/a/1", "Title", "Old summary")])[0]
        b = articles([Entry("g1", "https://news.example.org/a/1", "Title", "New summary")])[0]
        assert a.id == b.id and a.content_hash != b.content_hash

    def test_markup_only_changes_keep_the_hash(self):
        a = articles([Entry("g1", "https://news.example.org/a/1", "T", "<p>Text</p>")])[0]
        b = articles([Entry("g1", "https://news.example.org/a/1", "T", "<div>Text</div>")])[0]
        assert a.content_hash == b.content_hash
