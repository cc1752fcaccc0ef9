"""Term lists: every alias of every list found in one pass per field, and the `terms` kind.

Latin-script aliases go into spaCy PhraseMatchers (LOWER, or ORTH for case-sensitive lists):
their cost stays flat from a hundred to ten thousand terms. Aliases containing Hangul, kana
or CJK ideographs go into one Aho-Corasick automaton run over the raw text, so 독도 is found
in 독도는 and 竹島 inside a Japanese sentence without spaces.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Iterable, Iterator

import ahocorasick
from spacy.attrs import IDX, LENGTH
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

    def __init__(self, nlp: Language, terms: dict[str, TermList],
                 used: set[str] | None = None, context_only: set[str] = frozenset()) -> None:
        """`used`: the lists some rule or condition refers to; only those are matched (a list
        that is only included in others costs nothing of its own). None: all lists.
        `context_only`: lists only ever asked "is it in this sentence / document?"; their
        matches are kept as token positions, without building hits."""
        self.nlp = nlp
        self.lower = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.orth = PhraseMatcher(nlp.vocab, attr="ORTH")
        self.automaton = ahocorasick.Automaton()
        self.names: list[str] = []
        cjk: dict[str, set[str]] = defaultdict(set)
        self.has_unless = False
        self.alias_count = 0
        self._needles: dict[str, set[str]] = defaultdict(set)
        self._gates: dict[frozenset[str], TermGate] = {}
        lists = flatten(terms)
        self.context_only = frozenset(n for n in context_only if n in lists and not lists[n][1])
        for name, (aliases, unless) in lists.items():
            if used is not None and name not in used:
                continue
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
        gated = not name.endswith(UNLESS)
        for alias, case_sensitive in aliases:
            if is_cjk(alias):
                cjk[alias].add(name)
                if gated:
                    self._needles[alias.lower()].add(name)
            else:
                latin[case_sensitive].append(alias)
        if gated:
            self.alias_count += len(aliases)
        for case_sensitive, phrases in latin.items():
            if phrases:
                docs = list(self.nlp.tokenizer.pipe(phrases))
                (self.orth if case_sensitive else self.lower).add(name, docs)
                if gated:
                    for doc in docs:
                        if len(doc):  # its longest token: the rarest substring, most likely
                            word = max((t.text for t in reversed(doc)), key=len)
                            self._needles[word.lower()].add(name)

    def needle_lengths(self) -> dict[str, int]:
        """List name -> length of its shortest scan needle (see TermGate): longer needles
        occur less often by chance."""
        out: dict[str, int] = {}
        for needle, names in self._needles.items():
            for name in names:
                out[name] = min(out.get(name, len(needle)), len(needle))
        return out

    def gate(self, names: Iterable[str]) -> "TermGate":
        """A TermGate for the lists `names` (built once per set of names)."""
        key = frozenset(names)
        gate = self._gates.get(key)
        if gate is None:
            gate = self._gates[key] = TermGate(
                {needle: found & key for needle, found in self._needles.items()
                 if not found.isdisjoint(key)})
        return gate

    def find(self, doc: Doc, text: str) -> "FieldHits":
        """Run the matchers over one field; hits are built only when someone asks for them."""
        matches = self.lower(doc)
        if self._use_orth:
            matches += self.orth(doc)
        cjk = list(self.automaton.iter(text)) if self._use_ac and CJK.search(text) else []
        return FieldHits(self, doc, matches, cjk)


class TermGate:
    """Which term lists may occur in a text, from one substring scan of the raw text.

    A phrase alias can only match where each of its tokens occurs, and a token's lower-case form
    is a substring of the lower-cased text; a CJK alias is itself a substring. So the lists
    found here are a superset of `FieldHits.maybe` for the same text, at a fraction of the
    cost of tokenizing it: a field in which no rule can fire need not be tokenized at all.
    """

    __slots__ = ("automaton",)

    def __init__(self, needles: dict[str, set[str]]) -> None:
        self.automaton = ahocorasick.Automaton()
        for needle, names in needles.items():
            self.automaton.add_word(needle, frozenset(names))
        if len(self.automaton):
            self.automaton.make_automaton()

    def scan(self, text: str) -> Iterator[frozenset[str]] | None:
        """The lists of each needle found in `text`, in text order (the caller may stop
        early), or None when the scan cannot tell."""
        if _CONTEXT_CASED in text:
            # Lower-casing a capital sigma depends on its neighbours, so the lower-cased
            # text might not contain a token's lower-case form.
            return None
        if not len(self.automaton):
            return iter(())
        return (names for _end, names in self.automaton.iter(text.lower()))


_CONTEXT_CASED = "\u03a3"


class FieldHits:
    """The term-list hits of one field.

    `maybe` is cheap (the lists some alias matched, before overlaps and `unless` phrases are
    resolved) and lets the classifier skip every rule that cannot fire; `hits` builds the
    exact hits on first use. Most articles of a general feed never get that far.
    """

    __slots__ = ("_index", "_doc", "_matches", "_cjk", "_hits", "_starts", "maybe")

    def __init__(self, index: TermIndex, doc: Doc, matches: list, cjk: list) -> None:
        self._index = index
        self._doc = doc
        self._matches = matches
        self._cjk = cjk
        self._hits: dict[str, list[Hit]] | None = None
        self._starts: dict[str, list[int]] = {}
        strings = index.nlp.vocab.strings
        maybe = {strings[key] for key in {m[0] for m in matches}}
        for _last, (names, _length) in cjk:
            maybe.update(names)
        self.maybe = frozenset(n for n in maybe if not n.endswith(UNLESS))

    @property
    def hits(self) -> dict[str, list[Hit]]:
        """Hits of every list except context-only ones (see `token_starts`)."""
        if self._hits is None:
            self._hits = self._build()
        return self._hits

    @property
    def present(self) -> set[str]:
        """Every list with at least one hit in the field, context-only lists included."""
        return set(self.hits) | set(self._starts)

    def token_starts(self, name: str) -> list[int]:
        """Token index where each hit of list `name` starts (any list)."""
        hits = self.hits
        starts = self._starts.get(name)
        if starts is not None:
            return starts
        return [h.start for h in hits.get(name, ())]

    def _build(self) -> dict[str, list[Hit]]:
        """Exact hits per list: overlapping aliases merged into one hit ("Korea" inside "South
        Korea"), hits inside an `unless` phrase dropped ("Korea" inside "North Korea").
        Plain tuples until the end: this runs for every article with a term in it."""
        doc = self._doc
        raw: dict[str, list[tuple[int, int, int, int]]] = {}
        context_only = self._index.context_only
        positions = self._starts
        if self._matches:
            strings = self._index.nlp.vocab.strings
            offsets = doc.to_array([IDX, LENGTH])
            starts = offsets[:, 0].tolist()
            ends = (offsets[:, 0] + offsets[:, 1]).tolist()
            names: dict[int, tuple[bool, list]] = {}
            for key, start, end in self._matches:
                slot = names.get(key)
                if slot is None:
                    name = strings[key]
                    slot = names[key] = (True, positions.setdefault(name, [])) \
                        if name in context_only else (False, raw.setdefault(name, []))
                if slot[0]:
                    slot[1].append(start)
                else:
                    slot[1].append((starts[start], -ends[end - 1], start, end))
        for last, (names_, length) in self._cjk:
            start_char = last + 1 - length
            span = doc.char_span(start_char, last + 1, alignment_mode="expand")
            if span is not None:
                for name in names_:
                    if name in context_only:
                        positions.setdefault(name, []).append(span.start)
                    else:
                        raw.setdefault(name, []).append((start_char, -(last + 1), span.start,
                                                         span.end))
        out: dict[str, list[Hit]] = {}
        for name, items in raw.items():
            if name.endswith(UNLESS):
                continue
            items.sort()
            blockers = raw.get(name + UNLESS)
            if blockers:
                items = _outside(items, sorted(blockers))
            kept: list[Hit] = []
            reach = -1
            for start_char, neg_end, start, end in items:
                if start_char < reach:  # overlaps the previous hit: one hit, the union
                    if -neg_end > reach:
                        prev = kept[-1]
                        prev.end, prev.end_char = max(prev.end, end), -neg_end
                        reach = -neg_end
                    continue
                kept.append(Hit(start, end, start_char, -neg_end))
                reach = -neg_end
            if kept:
                out[name] = kept
        return out


def _outside(items: list[tuple], blockers: list[tuple]) -> list[tuple]:
    """Sorted (start_char, -end_char, ...) items not inside any blocker, in one walk."""
    out = []
    i, reach = 0, -1  # reach: furthest end of the blockers starting at or before the item
    for item in items:
        while i < len(blockers) and blockers[i][0] <= item[0]:
            reach = max(reach, -blockers[i][1])
            i += 1
        if -item[1] > reach:
            out.append(item)
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
