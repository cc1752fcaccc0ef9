"""Alert messages: readable, complete, within Slack's limits, and safe against feed text."""

from __future__ import annotations

import json
import re

import pytest

from alerts.render import (
    CONTEXT_LIMIT,
    SECTION_LIMIT,
    DigestItem,
    alert_view,
    digest_view,
    escape,
    safe_url,
    slack_text,
    to_slack,
)
from newswatch.messages import Match
from tests.alertutil import decision

# Every `<...>` token Slack would act on: links, mentions, channel and special commands.
TOKEN = re.compile(r"<([^<>]*)>")


def message_for(title: str, *, url: str | None = "https://www.yna.co.kr/view/AEN1",
                sentence: str | None = None, mentions: tuple[str, ...] = (), **kw):
    matches = (Match(rule_id="dokdo-claim", category="dispute", text="Dokdo", field="title",
                     start=0, end=5, sentence=sentence or title),)
    d = decision("art-1", title=title, url=url, matches=matches, **kw)
    view = alert_view(d, alert_id="0123456789abcdef", route="dispute", channel="C0DISPUTE1",
                      mentions=mentions)
    return to_slack(view)


def all_text(message) -> str:
    """Every string Slack renders: the fallback text and every mrkdwn text in the blocks."""
    texts = [message.text]
    for block in message.blocks:
        if "text" in block:
            texts.append(block["text"]["text"])
        elements = block.get("elements", []) + ([block["accessory"]] if "accessory" in block
                                                else [])
        for element in elements:
            text = element.get("text")
            texts.append(text["text"] if isinstance(text, dict) else text or "")
            texts.append(element.get("value", ""))
            texts.extend(o["text"]["text"] + " " + o["value"]
                         for o in element.get("options", []))
    return "\n".join(texts)


def slack_tokens(message) -> list[str]:
    return TOKEN.findall(all_text(message))


# ------------------------------------------------------------------ injection


@pytest.mark.parametrize("hostile", [
    "<!channel> Dokdo claim",
    "&lt;!here&gt; Dokdo claim",
    "<@U123ABCDE> Dokdo claim",
    "<https://evil.example|reuters.com> Dokdo claim",
    "<!subteam^S0DUTY0001> Dokdo claim",
    "<#C0FLOOR001> Dokdo claim",
    "<!everyone> <!date^1392734382^{date}|x> Dokdo",
])
def test_feed_text_never_pings_or_links(hostile):
    message = message_for(hostile, sentence=hostile)
    tokens = slack_tokens(message)
    # The only Slack token in the whole message is the link to the article itself.
    assert tokens and all(t.startswith("https://www.yna.co.kr/view/AEN1|") for t in tokens)
    assert "<!" not in all_text(message) and "<@" not in all_text(message)


def test_hostile_title_shows_as_the_characters_it_is():
    message = message_for("<!channel> Dokdo &lt;!here&gt; <@U123>")
    title_block = message.blocks[1]["text"]["text"]
    assert "&lt;!channel&gt; Dokdo &amp;lt;!here&amp;gt; &lt;@U123&gt;" in title_block
    assert "&lt;!channel&gt;" in message.text


def test_configured_mentions_are_the_only_mentions():
    message = message_for("<!here> Dokdo", mentions=("S0DUTY0001", "here"),
                          severity="critical")
    tokens = slack_tokens(message)
    assert "!subteam^S0DUTY0001" in tokens and "!here" in tokens
    assert sum(t == "!here" for t in TOKEN.findall(message.text)) == 1  # not the title's


def test_urls_written_inside_feed_text_are_not_links():
    message = message_for("Dokdo: see https://evil.example/x and www.evil.example now")
    text = all_text(message)
    assert "https[:]//evil.example/x" in text and "www[.]evil.example" in text
    assert all(t.startswith("https://www.yna.co.kr") for t in slack_tokens(message))


@pytest.mark.parametrize("url", [
    "javascript:alert(1)",
    "https://reuters.com@evil.example/story",
    "ftp://news.example/x",
    "not a url",
    None,
])
def test_unusable_article_urls_give_a_title_without_a_link(url):
    message = message_for("Dokdo claim repeated", url=url)
    assert slack_tokens(message) == []
    assert "Dokdo claim repeated" in message.blocks[1]["text"]["text"]


def test_article_url_cannot_break_out_of_its_link():
    message = message_for("Dokdo", url="https://news.example/a?x=1&y=<b>|evil>tail")
    (token,) = slack_tokens(message)
    target, _, label = token.partition("|")
    assert target == "https://news.example/a?x=1&amp;y=%3Cb%3E%7Cevil%3Etail"
    assert label == "Dokdo"
    assert safe_url("https://news.example/a b") == "https://news.example/a%20b"


def test_control_and_bidi_characters_are_removed():
    message = message_for("Dokdo\x1b[2J claim\u202egnp.exe\u0007")
    text = all_text(message)
    assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text
    assert "Dokdo[2J claimgnp.exe" in text


# ------------------------------------------------------------------ content


def test_message_has_everything_an_officer_checks():
    d = decision("art-9", title="Japan repeats Dokdo claim in white paper",
                 url="https://www.yna.co.kr/view/AEN9", categories=("dispute", "drills"),
                 severity="high", source="Yonhap", feed_id="yonhap-en", matches=(
                     Match(rule_id="dokdo-claim", category="dispute", text="Dokdo",
                           field="title", start=15, end=20,
                           sentence="Japan repeats Dokdo claim in white paper"),
                     Match(rule_id="white-paper", category="dispute", text="white paper",
                           field="content", start=100, end=111,
                           sentence="The annual white paper calls the islets Japanese land."),
                 ))
    message = to_slack(alert_view(d, alert_id="feedc0ffee123456", route="dispute",
                                  channel="C0DISPUTE1"))
    text = all_text(message)
    assert "DISPUTE + DRILLS · HIGH" in text
    assert "<https://www.yna.co.kr/view/AEN9|Japan repeats Dokdo claim in white paper>" in text
    assert "Yonhap · published 2026-01-30 08:00 UTC · feed yonhap-en" in text
    assert "*Dokdo*" in text and "dokdo-claim" in text and "white-paper" in text
    assert "\u200b*white paper*\u200b calls the islets" in text  # term bold in its sentence
    assert "article `art-9`" in text and "alert `feedc0ffee123456`" in text
    assert message.metadata == {"event_type": "newswatch_alert", "event_payload": {
        "alert_id": "feedc0ffee123456", "article_id": "art-9", "kind": "alert"}}
    assert "[DISPUTE + DRILLS · HIGH] Japan repeats Dokdo claim in white paper (Yonhap)" \
        == message.text


def test_evidence_in_korean_and_japanese_is_highlighted_inside_words():
    title = "독도는 우리 땅, 竹島の日 式典"
    d = decision("k1", title=title, matches=(
        Match(rule_id="dokdo", category="dispute", text="독도", field="title", start=0, end=2,
              sentence=title),
        Match(rule_id="takeshima", category="dispute", text="竹島", field="title", start=9,
              end=11, sentence=title)))
    text = all_text(to_slack(alert_view(d, alert_id="a" * 16, route="r", channel="C0DISPUTE1")))
    assert "\u200b*독도*\u200b는" in text and "\u200b*竹島*\u200bの日" in text


# ------------------------------------------------------------------ limits


def test_huge_feed_text_is_cut_on_our_side_within_slack_limits():
    long_title = "Dokdo & <Takeshima> " * 400
    sentence = "Dokdo " + "&<>" * 3000
    matches = tuple(Match(rule_id=f"rule-{i}", category="dispute", text="Dokdo",
                          field="content", start=0, end=5, sentence=f"{i} {sentence}")
                    for i in range(40))
    d = decision("big", title=long_title, matches=matches, source="S" * 5000)
    message = to_slack(alert_view(d, alert_id="b" * 16, route="dispute", channel="C0DISPUTE1",
                                  max_evidence=10))
    assert len(message.text) <= 3000
    assert len(message.blocks) <= 50
    for block in message.blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= SECTION_LIMIT
        elif block["type"] == "actions":  # the officers' buttons: no feed text in them
            assert len(block["elements"]) <= 25
        else:
            assert len(block["elements"]) <= 10
            assert all(len(e["text"]) <= CONTEXT_LIMIT for e in block["elements"])
    # Cutting never splits an escape: every '&' starts a whole entity.
    for text in all_text(message).split("\n"):
        assert not re.search(r"&(?!amp;|lt;|gt;)", text)
    assert "more matched passage" in all_text(message)


def test_slack_text_cuts_before_escaping():
    out = slack_text("<" * 100, 50)
    assert len(out) <= 50 and out.endswith("…") and re.fullmatch(r"(&lt;)+…", out)
    assert escape("a&b<c>d") == "a&amp;b&lt;c&gt;d"


def _digest(count: int, max_items: int):
    items = [DigestItem(f"{i:016x}", f"<!channel> story {i} " + "x" * 200,
                        f"https://news.example/{i}", "high", ("dispute",), "dispute")
             for i in range(count)]
    return to_slack(digest_view(digest_id="d" * 16, channel="C0DISPUTE1", items=items,
                                reason="more than 1/s", max_items=max_items))


def test_digest_lists_held_back_alerts_within_limits():
    message = _digest(60, 15)
    text = all_text(message)
    assert "60 alert(s) held back" in text
    items = [b for b in message.blocks if "accessory" in b]
    more = int(re.search(r"and (\d+) more", text).group(1))
    assert len(items) == 15 and len(items) + more == 60  # nothing silently left out
    assert "<!channel>" not in text
    assert all(len(b["text"]["text"]) <= SECTION_LIMIT for b in message.blocks
               if b["type"] == "section")
    assert message.metadata["event_payload"] == {"alert_id": "d" * 16, "article_id": "",
                                                 "kind": "digest"}
    json.dumps(message.blocks)  # serialisable as sent


def test_every_digest_item_has_its_own_marks_within_slacks_block_cap():
    message = _digest(60, 40)
    selects = [b["accessory"] for b in message.blocks if "accessory" in b]
    assert len(selects) == 40 and len(message.blocks) <= 50
    assert len({s["action_id"] for s in selects}) == 40  # unique within the message
    first = {o["value"] for o in selects[0]["options"]}
    assert first == {f"relevant|{0:016x}", f"not-relevant|{0:016x}", f"mute|{0:016x}",
                     f"wrong-category|{0:016x}|cooperation", f"wrong-category|{0:016x}|dispute",
                     f"wrong-category|{0:016x}|drills"}
    assert "and 20 more" in all_text(message)


def test_follow_up_names_the_other_source_and_mentions_nobody():
    d = decision("f2", title="Japan repeats Dokdo claim", source="Korea Herald",
                 severity="critical")
    message = to_slack(alert_view(d, alert_id="c" * 16, route="dispute", channel="C0DISPUTE1",
                                  mentions=("here",), kind="follow-up"))
    assert message.text.startswith("Also reported by Korea Herald")
    assert "<!here>" not in all_text(message)


def test_one_evidence_line_per_term_and_sentence_naming_every_rule():
    title = "Seoul protests Japan's Takeshima Day event"
    d = decision("e1", title=title, matches=tuple(
        Match(rule_id=rule, category="dispute", text="Takeshima", field="title", start=22,
              end=31, sentence=title) for rule in ("dokdo-mention", "dokdo-claim")))
    message = to_slack(alert_view(d, alert_id="e" * 16, route="r", channel="C0DISPUTE1"))
    evidence = message.blocks[3]["text"]["text"]
    assert evidence.count("• ") == 1 and "(dokdo-mention, dokdo-claim · title)" in evidence
