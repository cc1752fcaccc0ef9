"""Context conditions and exclusions, evaluated the same way for every rule kind.

Each Condition of the rules file is compiled once into a `Check` (frozensets and tuples), so
the per-hit test is a few set operations; it runs for every hit of every rule.
"""

from __future__ import annotations

from processors.fielddoc import FieldDoc
from processors.rules.base import Hit
from processors.rules.schema import Condition, RuleSpec


def _near(field: FieldDoc, hit: Hit, name: str, within: int) -> bool:
    for other in field.hits.get(name, ()):
        if other.start_char == hit.start_char and other.end_char == hit.end_char:
            continue  # the hit itself (CJK hits inside one token differ by characters)
        gap = other.start - hit.end if other.start >= hit.end else hit.start - other.end
        if gap <= within:
            return True
    return False


class Check:
    """One compiled Condition: True when every key given in the rules file holds."""

    __slots__ = ("in_document", "not_in_document", "positions", "same", "not_same", "near",
                 "not_near", "overlaps")

    def __init__(self, cond: Condition) -> None:
        self.in_document = frozenset(cond.in_document)
        self.not_in_document = frozenset(cond.not_in_document)
        self.positions = frozenset(cond.in_)
        self.same = tuple(cond.same_sentence)
        self.not_same = tuple(cond.not_same_sentence)
        self.near = (tuple(cond.near.terms), cond.near.within) if cond.near else None
        self.not_near = (tuple(cond.not_near.terms), cond.not_near.within) \
            if cond.not_near else None
        self.overlaps = tuple(cond.overlaps)

    def __call__(self, field: FieldDoc, hit: Hit, doc_lists: set[str], sid: int) -> bool:
        if self.in_document and not self.in_document <= doc_lists:
            return False
        if self.not_in_document and not self.not_in_document.isdisjoint(doc_lists):
            return False
        if self.positions and field.position(hit, sid) not in self.positions:
            return False
        if self.same or self.not_same:
            known = field.known_sentences  # computed sentence sets, read without a call per hit
            for name in self.same:
                ids = known.get(name)
                if sid not in (field.sentence_ids(name) if ids is None else ids):
                    return False
            for name in self.not_same:
                ids = known.get(name)
                if sid in (field.sentence_ids(name) if ids is None else ids):
                    return False
        if self.near is not None:
            names, within = self.near
            if not all(_near(field, hit, name, within) for name in names):
                return False
        if self.not_near is not None:
            names, within = self.not_near
            if any(_near(field, hit, name, within) for name in names):
                return False
        if self.overlaps and not any(
                o.start_char < hit.end_char and hit.start_char < o.end_char
                for n in self.overlaps for o in field.hits.get(n, ())):
            return False
        return True


class Acceptance:
    """A rule's context (all must hold) and exclusions (any one drops the hit)."""

    __slots__ = ("context", "exclude")

    def __init__(self, spec: RuleSpec) -> None:
        self.context = Check(spec.context) if spec.context is not None else None
        self.exclude = tuple(Check(c) for c in spec.exclude)

    def __call__(self, field: FieldDoc, hit: Hit, doc_lists: set[str], sid: int) -> bool:
        if self.context is not None and not self.context(field, hit, doc_lists, sid):
            return False
        for check in self.exclude:
            if check(field, hit, doc_lists, sid):
                return False
        return True
