"""Story identity: alert ids, canonical URLs, near-identical titles inside the window."""

from __future__ import annotations

from datetime import timedelta

from alerts.clock import ManualClock
from alerts.dedupe import StoryIndex, normalize_title
from alerts.identity import alert_id, canonical_url, copy_id, digest_id, story_key


def test_alert_id_is_deterministic_per_story_and_route():
    story = story_key("https://www.yna.co.kr/view/AEN1?utm_source=rss#top", "a1")
    assert alert_id(story, "dispute") == alert_id(story, "dispute")
    assert alert_id(story, "dispute") != alert_id(story, "floor")
    assert len(alert_id(story, "dispute")) == 16
    assert copy_id(story, "dispute", "a2") != alert_id(story, "dispute")
    assert digest_id("C0X", "abc") == digest_id("C0X", "abc") != digest_id("C0Y", "abc")


def test_canonical_url_ignores_tracking_scheme_www_and_fragments():
    same = ["https://www.yna.co.kr/view/AEN1?b=2&a=1&utm_source=rss",
            "http://yna.co.kr/view/AEN1/?a=1&b=2#comments",
            "HTTPS://YNA.CO.KR:443/view/AEN1?a=1&fbclid=xyz&b=2"]
    assert len({canonical_url(u) for u in same}) == 1
    assert canonical_url("https://yna.co.kr/view/AEN2") != canonical_url(same[0])
    assert canonical_url("javascript:alert(1)") is None
    assert story_key(None, "art-7") == "article:art-7"


def test_titles_normalize_across_sources():
    assert normalize_title("S. Korea, Japan agree to talks - Yonhap News Agency") == \
        normalize_title("South Korea, Japan agree to talks")
    assert normalize_title("Dokdo | Reuters") == "dokdo reuters"  # too short to drop a suffix


def test_near_identical_titles_on_the_same_route_inside_the_window():
    clock = ManualClock()
    index = StoryIndex(timedelta(minutes=60), 0.8)
    index.add("dispute", "first", "South Korea, Japan agree to hold annual defense talks",
              clock.now())
    assert index.find("dispute", "S. Korea, Japan agree to hold annual defense talks | Kyodo",
                      clock.now()) == "first"
    assert index.find("floor", "South Korea, Japan agree to hold annual defense talks",
                      clock.now()) is None  # another route is another audience
    assert index.find("dispute", "South Korea, Japan hold trilateral drills with US",
                      clock.now()) is None
    clock.advance(61 * 60)
    assert index.find("dispute", "South Korea, Japan agree to hold annual defense talks",
                      clock.now()) is None  # outside the window


def test_korean_and_japanese_titles_compare_without_word_splitting():
    clock = ManualClock()
    index = StoryIndex(timedelta(hours=1), 0.8)
    index.add("r", "ko", "한일 국방장관 회담 정례화 합의", clock.now())
    assert index.find("r", "한일 국방장관, 회담 정례화 합의 - 연합뉴스", clock.now()) == "ko"
    index.add("r", "ja", "日韓防衛相会談、定例化で合意 防衛協力を強化", clock.now())
    assert index.find("r", "日韓防衛相会談 定例化で合意 防衛協力を強化", clock.now()) == "ja"


def test_short_titles_must_match_exactly():
    clock = ManualClock()
    index = StoryIndex(timedelta(hours=1), 0.5)
    index.add("r", "a", "Dokdo row", clock.now())
    assert index.find("r", "Dokdo rows", clock.now()) is None
    assert index.find("r", "dokdo ROW!", clock.now()) == "a"
