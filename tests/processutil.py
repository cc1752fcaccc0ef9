"""Shared pieces of the processor tests: small rules files written into a test's tmp_path."""

from __future__ import annotations

import textwrap
from pathlib import Path

from newswatch.messages import Article, utcnow

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RULES = ROOT / "config" / "rules.yaml"
SEED = ROOT / "seeds" / "000_b2a89f96822d7eba.txt"

SMALL_RULES = """\
name: small
categories:
  dispute: {threshold: 2}
  drills: {threshold: 3, implies: [cooperation]}
  cooperation: {threshold: 2}
terms:
  dokdo:
    aliases: [Dokdo, Takeshima, 독도, 竹島]
    unless: [ROKS Dokdo]
  korea: [South Korea, Seoul, 한국]
  japan: [Japan, Tokyo, 일본, 日本]
  protest: [protest, protested, 항의, 抗議]
  exercise: [drill, drills, exercise]
rules:
  - id: dokdo-protest
    category: dispute
    severity: high
    score: 2
    terms: [dokdo]
    context: {same_sentence: [protest]}
  - id: joint-drill
    category: drills
    severity: medium
    score: 2
    terms: [exercise]
    context: {same_sentence: [korea, japan]}
"""


def write_rules(folder: Path, text: str = SMALL_RULES, name: str = "rules.yaml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def article(ident: str = "a1", title: str = "", content: str = "", summary: str = "",
            **extra) -> Article:
    return Article(id=ident, feed_id=extra.pop("feed_id", "feed"), source="Test Wire",
                   url=f"https://news.example/{ident}", title=title, summary=summary,
                   content=content, fetched_at=utcnow(), content_hash=f"h-{ident}", **extra)
