"""One field of an article (title, summary, content or text) after tokenizing and term lookup.

Everything a rule kind or a condition asks about a field is answered here, lazily: sentence
boundaries are only computed for fields that have a hit.
"""

from __future__ import annotations

from bisect import bisect_right
from functools import cached_property

from spacy.language import Language
from spacy.tokens import Doc, Span

from processors.nlp import sentence_starts
from processors.rules.base import Hit
from processors.rules.terms import FieldHits

# Real pages put lines ahead of the story: a dateline, "Photo: Yonhap", a byline, a menu
# path, "2 months ago". They do not take a lead place (see FieldDoc.lead_end).
FURNITURE_PREFIXES = ("photo", "file photo", "caption", "preview mode", "menu", "share",
                      "written", "updated", "posted", "published", "copyright", "(c)", "ⓒ",
                      "▲", "사진", "写真", "【写真", "[사진", "(사진", "〈사진")
FURNITURE_LETTERS = 25   # fewer letters than this (a CJK character counts 2): not a sentence
MAX_FURNITURE = 4        # furniture lines skipped at most, so the lead stays short


class FieldDoc:
    def __init__(self, name: str, text: str, doc: Doc, terms: FieldHits,
                 lead_sentences: int, nlp: Language) -> None:
        self.name = name
        self.text = text
        self.doc = doc
        self.terms = terms
        self.lead_sentences = lead_sentences
        self.nlp = nlp
        self.known_sentences: dict[str, frozenset[int]] = {}  # see sentence_ids
        self._texts: dict[int, str] = {}

    @property
    def hits(self) -> dict[str, list[Hit]]:
        """Term list name -> its hits in this field (built on first use)."""
        return self.terms.hits

    @cached_property
    def starts(self) -> list[int]:
        """Token index of the first token of every sentence. A title is one sentence: Korean
        and Japanese headlines join their parts with "…" or "。" ("지소미아 종료 통보 철회…
        완전 정상화"), and the parts belong together."""
        if self.name == "title":
            return [0]
        return sentence_starts(self.nlp, self.doc)

    @cached_property
    def lead_end(self) -> int:
        """Index of the first body sentence: the lead is the first `lead_sentences`
        sentences that say something, with the furniture lines before or between them."""
        starts = self.starts
        counted = 0
        last = min(len(starts), self.lead_sentences + MAX_FURNITURE)
        for index in range(last):
            if counted == self.lead_sentences:
                return index
            if not self._furniture(index):
                counted += 1
        return last

    def _furniture(self, index: int) -> bool:
        start, end = self.sentence_chars(index)
        text = self.text[start:end].strip()
        letters = sum(2 if ord(ch) >= 0x2E80 else 1 for ch in text if ch.isalpha())
        if letters < FURNITURE_LETTERS:
            return True
        return text.lower().startswith(FURNITURE_PREFIXES)

    def sentence_of(self, hit: Hit) -> int:
        return bisect_right(self.starts, hit.start) - 1

    def sentence_span(self, index: int) -> Span:
        starts = self.starts
        end = starts[index + 1] if index + 1 < len(starts) else len(self.doc)
        return self.doc[starts[index]:end]

    def sentence_chars(self, index: int) -> tuple[int, int]:
        starts = self.starts
        start = self.doc[starts[index]].idx
        end = self.doc[starts[index + 1]].idx if index + 1 < len(starts) else len(self.text)
        return start, end

    def sentence_ids(self, name: str) -> frozenset[int]:
        """Sentences in which term list `name` has a hit."""
        ids = self.known_sentences.get(name)
        if ids is None:  # (Check reads known_sentences first: it asks for every hit)
            starts = self.starts
            ids = self.known_sentences[name] = frozenset([bisect_right(starts, t) - 1
                                               for t in self.terms.token_starts(name)])
        return ids

    def sentences_with(self, names: list[str], also: list[str] = ()) -> list[int]:
        """Sentences in which any of the term lists `names` has a hit and every list of
        `also` has one too, in text order."""
        found: set[int] = set()
        for name in names:
            found |= self.sentence_ids(name)
        for name in also:
            if not found:
                break
            found &= self.sentence_ids(name)
        return sorted(found)

    def position(self, hit: Hit, sid: int | None = None) -> str:
        """title, lead (the summary, or the first sentences of the body) or body."""
        if self.name == "title":
            return "title"
        if self.name == "summary":
            return "lead"
        if sid is None:
            sid = self.sentence_of(hit)
        return "lead" if sid < self.lead_end else "body"

    def sentence_text(self, hit: Hit, sid: int | None = None) -> str:
        if sid is None:
            sid = self.sentence_of(hit)
        text = self._texts.get(sid)
        if text is None:  # a sentence with many hits is cut out once
            start, end = self.sentence_chars(sid)
            text = self._texts[sid] = self.text[start:end].strip()
        return text
