"""Term lists: every alias of every list found in one pass per field, and the `terms` kind.

Latin-script aliases go into spaCy PhraseMatchers (LOWER, or ORTH for case-sensitive lists):
their cost stays flat from a hundred to ten thousand terms. Aliases containing Hangul, kana
or CJK ideographs go into one Aho-Corasick automaton run over the raw text, so 독도 is found
in 독도는 and 竹島 inside a Japanese sentence without spaces.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Iterable

import ahocorasick
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from processors.rules.base import RULE_KINDS, Hit, RuleKind
from processors.rules.schema import CJK, TermList, is_cjk

if TYPE_CHECKING:  # pragma: no cover
    from processors.fielddoc import FieldDoc
    from processors.rules.schema import RuleSpec

UNLESS = "#unless"


def flatten(terms: dict[str, TermList]) -> dict[str, tuple[list[tuple[str, bool]], list[str]]]:
    """name -> ([(alias, case_sensitive)], unless-phrases), with included lists merged in.

    An included list keeps its own case sensitivity (`US` stays case-sensitive inside a
    case-insensitive list)."""
    out: dict[str, tuple[list[tuple[str, bool]], list[str]]] = {}

    def collect(name: str, seen: frozenset[str]) -> tuple[list[tuple[str, bool]], list[str]]:
        spec = terms[name]
        aliases = [(a, spec.case_sensitive) for a in spec.aliases]
        unless = list(spec.unless)
        for other in spec.include:
            if other not in seen:
                more, more_unless = collect(other, seen | {other})
                aliases += more
                unless += more_unless
        return aliases, unless

    for name in terms:
        aliases, unless = collect(name, frozenset({name}))
        out[name] = (list(dict.fromkeys(aliases)), list(dict.fromkeys(unless)))
    return out


class TermIndex:
    """Finds the hits of every term list in a field: `find(doc) -> {list name: [Hit, ...]}`."""

    def __init__(self, nlp: Language, terms: dict[str, TermList]) -> None:
        self.nlp = nlp
        self.lower = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.orth = PhraseMatcher(nlp.vocab, attr="ORTH")
        self.automaton = ahocorasick.Automaton()
        self.names: list[str] = []
        cjk: dict[str, set[str]] = defaultdict(set)
        self.has_unless = False
        self.alias_count = 0
        lists = flatten(terms)
        for name, (aliases, unless) in lists.items():
            self._add(name, aliases, cjk)
            if unless:
                self.has_unless = True
                self._add(name + UNLESS, [(u, False) for u in unless], cjk)
        for alias, names in cjk.items():
            self.automaton.add_word(alias, (tuple(sorted(names)), len(alias)))
        if len(self.automaton):
            self.automaton.make_automaton()
        self._use_orth = len(self.orth) > 0
        self._use_ac = len(self.automaton) > 0

    def _add(self, name: str, aliases: list[tuple[str, bool]],
             cjk: dict[str, set[str]]) -> None:
        self.names.append(name)
        latin: dict[bool, list[str]] = {False: [], True: []}
        for alias, case_sensitive in aliases:
            if is_cjk(alias):
                cjk[alias].add(name)
            else:
                latin[case_sensitive].append(alias)
        if not name.endswith(UNLESS):
            self.alias_count += len(aliases)
        for case_sensitive, phrases in latin.items():
            if phrases:
                docs = list(self.nlp.tokenizer.pipe(phrases))
                (self.orth if case_sensitive else self.lower).add(name, docs)

    def find(self, doc: Doc, text: str) -> dict[str, list[Hit]]:
        found: dict[str, list[Hit]] = defaultdict(list)
        strings = self.nlp.vocab.strings
        matches = self.lower(doc)
        if self._use_orth:
            matches += self.orth(doc)
        for key, start, end in matches:
            found[strings[key]].append(
                Hit(start, end, doc[start].idx, doc[end - 1].idx + len(doc[end - 1])))
        if self._use_ac and CJK.search(text):
            for last, (names, length) in self.automaton.iter(text):
                start_char = last + 1 - length
                span = doc.char_span(start_char, last + 1, alignment_mode="expand")
                if span is None:
                    continue
                hit = Hit(span.start, span.end, start_char, last + 1)
                for name in names:
                    found[name].append(hit)
        return _longest(found) if found else {}


def _longest(found: dict[str, list[Hit]]) -> dict[str, list[Hit]]:
    """Per list, merge overlapping hits ("Korea" in "South Korea" is one hit),
    and hits inside an `unless` phrase of the list ("Korea" in "North Korea")."""
    out: dict[str, list[Hit]] = {}
    for name, hits in found.items():
        if name.endswith(UNLESS):
            continue
        hits.sort(key=lambda h: (h.start_char, -h.end_char))
        kept: list[Hit] = []
        for hit in hits:
            if kept and hit.start_char < kept[-1].end_char:
                last = kept[-1]
                if hit.end_char > last.end_char:  # overlapping aliases: one hit, the union
                    kept[-1] = Hit(last.start, max(last.end, hit.end), last.start_char,
                                   hit.end_char)
                continue
            kept.append(hit)
        blockers = found.get(name + UNLESS)
        if blockers:
            kept = [h for h in kept if not any(b.start_char <= h.start_char and
                                               h.end_char <= b.end_char for b in blockers)]
        if kept:
            out[name] = kept
    return out


@RULE_KINDS.register("terms")
class TermsRule(RuleKind):
    """Evidence is any alias of the rule's term lists."""

    name = "terms"

    @classmethod
    def check(cls, spec: "RuleSpec") -> list[str]:
        problems = []
        if not spec.terms:
            problems.append("a `terms` rule needs `terms:` (one or more term lists)")
        if spec.patterns or spec.pattern:
            problems.append("`patterns`/`pattern` belong to kind tokens/regex")
        return problems

    def find(self, field: "FieldDoc") -> Iterable[Hit]:
        for name in self.spec.terms:
            yield from field.hits.get(name, ())
