"""The sample feeds the demo serves: the seed article, realistic others, hard negatives."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import httpx

from collectors.config import Feed
from collectors.normalize import to_articles
from collectors.seeds import SeedFeedServer, seed_feed_files
from collectors.sources import SOURCES

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 1, tzinfo=timezone.utc)


def all_articles():
    source = SOURCES.get("rss")()
    out = []
    for path in seed_feed_files():
        feed = Feed(id=f"sample-{path.stem}", url=f"http://127.0.0.1/{path.name}")
        parsed = source.parse(path.read_bytes(), url=feed.url, headers={})
        assert parsed.problems == (), path.name
        out += to_articles(feed, parsed, fetched_at=NOW)
    return out


def test_seed_article_is_an_item_with_a_headline_and_its_full_text():
    seed = [a for a in all_articles() if a.title == "S. Korea, Japan agree to hold annual "
            "defense ministerial talks"]
    assert len(seed) == 1
    text = (ROOT / "seeds" / "000_b2a89f96822d7eba.txt").read_text(encoding="utf-8")
    body = " ".join(text.removeprefix(" date 2026-01-30 ").split())
    assert " ".join(seed[0].content.split()) == body
    assert seed[0].summary.startswith("South Korea and Japan have agreed")
    assert seed[0].published_at.date().isoformat() == "2026-01-30"


def test_samples_mix_matches_non_matches_and_hard_negatives():
    titles = " | ".join(a.title for a in all_articles())
    assert "ROKS Dokdo" in titles  # the ship, in a US-ROK drill without Japan
    assert "Senkaku" in titles and "AUKUS" in titles and "Quad" in titles
    assert "GSOMIA" in titles  # between Japan and the Philippines
    assert "Takeshima" in titles and "Freedom Edge" in titles
    assert len(all_articles()) >= 12 and len({a.id for a in all_articles()}) == len(
        all_articles())


def test_every_sample_has_a_date_link_and_plain_text():
    for article in all_articles():
        assert article.published_at is not None and article.url.startswith("https://")
        assert "<" not in article.title + article.summary + article.content
        assert "track(" not in article.summary  # the inline script in one sample


def test_seed_server_serves_with_last_modified_and_304():
    with SeedFeedServer() as server:
        url = server.base_url + seed_feed_files()[0].name
        first = httpx.get(url)
        assert first.status_code == 200 and "xml" in first.headers["content-type"]
        again = httpx.get(url, headers={"If-Modified-Since": first.headers["last-modified"]})
        assert again.status_code == 304
