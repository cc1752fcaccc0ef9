"""The RSS/Atom source: broken XML, lying encodings, entity attacks, and a corpus of real feeds."""

from __future__ import annotations

import csv
from datetime import datetime, timezone

import pytest

from collectors.config import Feed
from collectors.normalize import to_articles
from collectors.sources import SOURCES, ParseError
from collectors.sources.xmldoc import decode_document, strip_internal_subset
from tests.feedtools import Item, rss

SOURCE = SOURCES.get("rss")()
FEED = Feed(id="test", url="http://127.0.0.1/feed.xml")
NOW = datetime(2026, 2, 3, tzinfo=timezone.utc)
KOREAN = "독도는 한국 영토이다. 국방부는 오늘 동해에서 훈련을 실시했다고 밝혔다."
JAPANESE = "竹島は日本固有の領土です。防衛省は本日、訓練を実施したと発表しました。"
WESTERN = "Seoul’s “defense” talks – ministers agree; café résumé"


def parse(body: bytes, content_type: str | None = None):
    return SOURCE.parse(body, url="http://127.0.0.1/feed.xml",
                        headers={"content-type": content_type} if content_type else {})


def one_item(text: str, **kw) -> Item:
    return Item(text, "https://news.example.org/a/1", "g1", description=text, **kw)


class TestWellFormed:
    def test_rss_fields(self):
        body = rss([Item("Title", "https://news.example.org/a/1", "guid-1", "Summary",
                         "Mon, 02 Feb 2026 09:00:00 +0900", "<p>Body</p>")])
        parsed = parse(body)
        entry = parsed.entries[0]
        assert (entry.title, entry.link, entry.guid) == ("Title", "https://news.example.org/a/1",
                                                          "guid-1")
        assert entry.summary == "Summary" and entry.content == "<p>Body</p>"
        assert entry.published == datetime(2026, 2, 2, 0, 0, tzinfo=timezone.utc)
        assert parsed.format == "rss20" and parsed.problems == ()

    def test_atom_fields(self):
        body = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><id>urn:a</id>
<updated>2026-02-02T00:00:00Z</updated>
<entry><title type="html">&lt;b&gt;Bold&lt;/b&gt; news</title><id>urn:e1</id>
<link rel="alternate" href="https://news.example.org/e1"/>
<updated>2026-02-02T10:00:00+09:00</updated><summary>S</summary></entry></feed>"""
        entry = parse(body).entries[0]
        assert entry.guid == "urn:e1" and entry.link == "https://news.example.org/e1"
        assert entry.published == datetime(2026, 2, 2, 1, 0, tzinfo=timezone.utc)

    def test_relative_links_resolve_against_the_feed_url(self):
        entry = parse(rss([Item("T", "/news/1.html", "g")])).entries[0]
        assert entry.link == "http://127.0.0.1/news/1.html"

    def test_empty_but_valid_feed_is_not_an_error(self):
        assert parse(rss([])).entries == ()


class TestMalformed:
    def test_malformed_xml_that_still_yields_entries_is_used_and_noted(self):
        body = rss([one_item("First"), one_item("Second")]).replace(b"</item>", b"", 1)
        body = body.replace(b"Second", b"Second & <b>unclosed")
        parsed = parse(body)
        assert len(parsed.entries) >= 1 and parsed.entries[0].title == "First"
        assert any("not well-formed" in p for p in parsed.problems)

    def test_html_page_is_not_a_feed(self):
        with pytest.raises(ParseError, match="not a feed"):
            parse(b"<!DOCTYPE html><html><head><title>Moved</title></head>"
                  b"<body><p>This page has moved</p></body></html>", "text/html")

    def test_garbage_is_not_a_feed(self):
        with pytest.raises(ParseError):
            parse(b"\x00\x01\x02 not xml at all \xff\xfe")

    def test_truncated_feed_keeps_complete_items(self):
        body = rss([one_item("Complete one"), one_item("Cut off")])
        parsed = parse(body[:body.index(b"Cut off") + 3])
        assert parsed.entries[0].title == "Complete one"


class TestEncodings:
    @pytest.mark.parametrize("text,encoding,declared,header", [
        (WESTERN, "cp1252", "utf-8", "application/rss+xml; charset=utf-8"),
        (WESTERN, "cp1252", "iso-8859-1", "text/xml; charset=ISO-8859-1"),
        (KOREAN, "euc-kr", "utf-8", "application/xml; charset=utf-8"),
        (KOREAN, "euc-kr", "EUC-KR", "text/xml; charset=ISO-8859-1"),
        (JAPANESE, "shift_jis", "utf-8", None),
        (JAPANESE, "shift_jis", "Shift_JIS", "text/xml; charset=EUC-KR"),
        (KOREAN + " " + JAPANESE, "utf-8", "iso-8859-1", "text/xml; charset=iso-8859-1"),
    ])
    def test_misdeclared_encodings_still_give_the_right_text(self, text, encoding, declared,
                                                             header):
        entry = parse(rss([one_item(text)], encoding=encoding, declare=declared),
                      header).entries[0]
        assert entry.title == text and entry.summary == text

    @pytest.mark.parametrize("text,encoding", [(KOREAN, "euc-kr"), (JAPANESE, "shift_jis"),
                                               (WESTERN, "cp1252")])
    def test_undeclared_legacy_encodings_are_detected(self, text, encoding):
        body = rss([one_item(text)], encoding=encoding)
        body = body.split(b"?>", 1)[1]  # no XML declaration, no header
        assert parse(body).entries[0].title == text

    def test_disagreement_is_recorded(self):
        parsed = parse(rss([one_item(KOREAN)], encoding="euc-kr", declare="utf-8"))
        assert any("decoded as cp949" in p for p in parsed.problems)

    @pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-8-sig"])
    def test_wide_encodings_with_and_without_bom(self, codec):
        text = rss([one_item(KOREAN)]).decode("utf-8").replace('encoding="utf-8"',
                                                               'encoding="utf-16"')
        assert parse(text.encode(codec)).entries[0].title == KOREAN

    def test_declared_utf16_over_ascii_bytes_is_ignored(self):
        doc = decode_document(rss([one_item("Plain")], declare="utf-16"))
        assert "Plain" in doc.text and doc.encoding == "ascii"


class TestEntityAttacks:
    def test_billion_laughs_does_not_expand(self):
        decls = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
        body = ('<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY lol0 "lol">' + decls + "]>"
                '<rss version="2.0"><channel><title>t</title><item><title>&lol9;</title>'
                "<link>https://news.example.org/a</link><description>&lol9;&lol9;"
                "</description></item></channel></rss>").encode()
        parsed = parse(body)
        article = to_articles(FEED, parsed, fetched_at=NOW)[0]
        assert "lollol" not in article.title + article.summary
        assert len(article.title) < 50 and len(article.summary) < 50
        assert any("entity declarations" in p for p in parsed.problems)

    def test_quadratic_blowup_does_not_expand(self):
        body = ('<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "' + "A" * 50_000 + '">]>'
                '<rss version="2.0"><channel><title>t</title><item><title>x</title>'
                "<link>https://news.example.org/a</link><description>" + "&a;" * 2_000
                + "</description></item></channel></rss>").encode()
        entry = parse(body).entries[0]
        assert "AAAA" not in entry.summary and len(entry.summary) < 10_000

    @pytest.mark.parametrize("declaration", [
        '<!ENTITY xxe SYSTEM "file://{path}">',
        '<!ENTITY % p SYSTEM "file://{path}"> %p;',
        '<!ENTITY xxe PUBLIC "-//x//EN" "file://{path}">',
    ])
    def test_external_entities_read_no_file(self, tmp_path, declaration):
        secret = tmp_path / "secret.txt"
        secret.write_text("TOP-SECRET-CONTENT")
        body = ('<?xml version="1.0"?><!DOCTYPE rss [' + declaration.format(path=secret)
                + ']><rss version="2.0"><channel><title>t &xxe;</title><item>'
                "<title>Leak &xxe;</title><link>https://news.example.org/a</link>"
                "<description>&xxe;</description></item></channel></rss>").encode()
        parsed = parse(body)
        article = to_articles(FEED, parsed, fetched_at=NOW)[0]
        assert "TOP-SECRET" not in article.model_dump_json()

    def test_feedparser_never_reads_the_body_as_a_file_name(self, tmp_path):
        secret = tmp_path / "feed.xml"
        secret.write_bytes(rss([one_item("from the disk")]))
        with pytest.raises(ParseError):
            parse(str(secret).encode())

    def test_doctype_without_a_subset_is_kept(self):
        text = '<?xml version="1.0"?>\n<!DOCTYPE rss PUBLIC "-//Netscape//DTD RSS 0.91//EN" ' \
               '"http://my.netscape.com/publish/formats/rss-0.91.dtd">\n<rss version="0.91">'
        assert strip_internal_subset(text) == (text, False)

    def test_subset_with_quotes_and_brackets_is_removed_whole(self):
        text = '<?xml version="1.0"?><!-- c --><!DOCTYPE r [<!ENTITY a "x]>y">]><rss/>'
        assert strip_internal_subset(text) == ('<?xml version="1.0"?><!-- c --><rss/>', True)


def corpus_rows(shared_dir):
    root = shared_dir / "feeds-corpus"
    with open(root / "MANIFEST.tsv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    return root, rows


def test_every_corpus_file_goes_through_parse_and_normalise(shared_dir):
    """389 real and broken feeds: none may raise anything but ParseError (not a feed)."""
    root, rows = corpus_rows(shared_dir)
    assert len(rows) > 300
    articles = not_feeds = 0
    for row in rows:
        body = (root / row["file"]).read_bytes()
        try:
            parsed = parse(body)
        except ParseError:
            not_feeds += 1
            continue
        for article in to_articles(FEED, parsed, fetched_at=NOW):
            articles += 1
            assert article.id and article.content_hash
            assert article.published_at is None or article.published_at.tzinfo is not None
    # The corpus README: 2 HTML pages and a few fragments are not feeds; most files are.
    assert articles > 3000 and not_feeds < 30


def test_corpus_script_in_titles_and_content_is_dropped(shared_dir):
    root, _ = corpus_rows(shared_dir)
    for path in sorted((root / "feedparser-wellformed" / "sanitize").glob("*script*.xml")):
        for article in to_articles(FEED, parse(path.read_bytes()), fetched_at=NOW):
            text = article.title + article.summary + article.content
            assert "location.href" not in text and "<script" not in text, path.name


def test_corpus_real_feeds_all_yield_articles(shared_dir):
    root, rows = corpus_rows(shared_dir)
    real = [r for r in rows if r["note"].startswith("real feed:")
            and "truncated" not in r["note"] and "invalid" not in r["file"]]
    assert len(real) > 100
    empty = [r["file"] for r in real
             if not to_articles(FEED, parse((root / r["file"]).read_bytes()), fetched_at=NOW)]
    # Some captures are feeds that had no items that day; they are few.
    assert len(empty) <= 5, empty
