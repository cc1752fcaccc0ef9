"""One field of an article (title, summary, content or text) after tokenizing and term lookup.

Everything a rule kind or a condition asks about a field is answered here, lazily: sentence
boundaries are only computed for fields that have a hit.
"""

from __future__ import annotations

from bisect import bisect_right
from functools import cached_property

from spacy.tokens import Doc, Span

from processors.rules.base import Hit


class FieldDoc:
    __slots__ = ("name", "text", "doc", "hits", "lead_sentences", "__dict__")

    def __init__(self, name: str, text: str, doc: Doc, hits: dict[str, list[Hit]],
                 lead_sentences: int) -> None:
        self.name = name
        self.text = text
        self.doc = doc
        self.hits = hits
        self.lead_sentences = lead_sentences

    @cached_property
    def sents(self) -> list[Span]:
        return list(self.doc.sents)

    @cached_property
    def _sent_starts(self) -> list[int]:
        return [s.start for s in self.sents]

    def sentence_of(self, hit: Hit) -> int:
        return bisect_right(self._sent_starts, hit.start) - 1

    def sentence_ids(self, name: str) -> frozenset[int]:
        """Sentences in which term list `name` has a hit."""
        cache = self.__dict__.setdefault("_sid", {})
        ids = cache.get(name)
        if ids is None:
            ids = cache[name] = frozenset(self.sentence_of(h) for h in self.hits.get(name, ()))
        return ids

    def sentences_with(self, names: list[str]) -> list[int]:
        """Sentences in which any of the term lists has a hit, in text order."""
        found: set[int] = set()
        for name in names:
            found |= self.sentence_ids(name)
        return sorted(found)

    def position(self, hit: Hit) -> str:
        """title, lead (the summary, or the first sentences of the body) or body."""
        if self.name == "title":
            return "title"
        if self.name == "summary":
            return "lead"
        return "lead" if self.sentence_of(hit) < self.lead_sentences else "body"

    def sentence_text(self, hit: Hit) -> str:
        return self.sents[self.sentence_of(hit)].text.strip()
