"""Context conditions and exclusions, evaluated the same way for every rule kind."""

from __future__ import annotations

from processors.fielddoc import FieldDoc
from processors.rules.base import Hit
from processors.rules.schema import Condition, Near


def _near(field: FieldDoc, hit: Hit, name: str, within: int) -> bool:
    for other in field.hits.get(name, ()):
        if other.start == hit.start and other.end == hit.end:
            continue
        gap = other.start - hit.end if other.start >= hit.end else hit.start - other.end
        if gap <= within:
            return True
    return False


def _all_near(field: FieldDoc, hit: Hit, near: Near) -> bool:
    return all(_near(field, hit, name, near.within) for name in near.terms)


def holds(cond: Condition, field: FieldDoc, hit: Hit, doc_lists: set[str] | frozenset[str],
          sid: int | None = None) -> bool:
    """True when every key of `cond` holds for `hit` in `field` (doc_lists: lists in the
    article; sid: the hit's sentence, when the caller knows it)."""
    if cond.in_document and not all(n in doc_lists for n in cond.in_document):
        return False
    if cond.not_in_document and any(n in doc_lists for n in cond.not_in_document):
        return False
    if cond.in_ and field.position(hit, sid) not in cond.in_:
        return False
    if cond.same_sentence or cond.not_same_sentence:
        if sid is None:
            sid = field.sentence_of(hit)
        if not all(sid in field.sentence_ids(n) for n in cond.same_sentence):
            return False
        if any(sid in field.sentence_ids(n) for n in cond.not_same_sentence):
            return False
    if cond.near is not None and not _all_near(field, hit, cond.near):
        return False
    if cond.not_near is not None and any(
            _near(field, hit, name, cond.not_near.within) for name in cond.not_near.terms):
        return False
    if cond.overlaps and not any(
            o.start_char < hit.end_char and hit.start_char < o.end_char
            for n in cond.overlaps for o in field.hits.get(n, ())):
        return False
    return True


def accepted(context: Condition | None, exclude: list[Condition], field: FieldDoc, hit: Hit,
             doc_lists: set[str] | frozenset[str], sid: int | None = None) -> bool:
    if context is not None and not holds(context, field, hit, doc_lists, sid):
        return False
    for cond in exclude:
        if holds(cond, field, hit, doc_lists, sid):
            return False
    return True
