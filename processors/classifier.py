"""Classify one article under one ruleset, explaining every point down to the sentence.

Scoring: a rule's hits that pass its context and exclusions earn `score` times the weight of
where they stand (title 2, lead 1.5, body 1 by default), counting at most `max_hits`
sentences. A category is raised when its rules' points reach its threshold (and, when it
has a `body_threshold`, when some evidence stands in the title or lead or the body's points
reach that higher bar); `implies` raises further categories (drills -> cooperation). Severity is the highest severity among the
scoring rules of the raised categories; the decision's score is the highest points among the
raised categories (or among all categories when none is raised).

Deterministic: the same article under the same ruleset gives the same decision, apart from
`decided_at`.

Speed: most articles of a general feed cannot raise anything (no Korea, no Dokdo). A
substring scan for the few term lists that rule every rule out (TermGate) proves that
before tokenizing, and those articles get the empty verdict without a spaCy Doc.
"""

from __future__ import annotations

import ctypes
import gc
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterator

from newswatch.messages import (SEVERITY_ORDER, Article, Decision, EventEvidence, Match,
                                Provenance, utcnow)
from processors.conditions import Acceptance
from processors.evidence import event_evidence
from processors.fielddoc import FieldDoc
from processors.rules.terms import TermGate
from processors.ruleset import Ruleset

MAX_MATCHES_PER_RULE = 5
MAX_MATCHES = 60
MAX_STRINGS = 100_000
RENEW_AFTER = 50_000
NEW_WORDS_RENEW = 80  # per article, averaged: see Classifier.explain
_SEVERITIES = sorted(SEVERITY_ORDER, key=SEVERITY_ORDER.__getitem__)


@dataclass
class Verdict:
    """The full explanation behind a decision (what `rules test` prints)."""

    categories: tuple[str, ...]
    severity: str
    score: float
    matches: tuple[Match, ...]
    category_points: dict[str, float] = field(default_factory=dict)
    rule_points: dict[str, float] = field(default_factory=dict)
    # Where each scoring rule's counted sentences stand ("title", "lead", "body"), best
    # first, before max_hits: what `rules fit` needs to re-score without re-reading text.
    positions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Term lists found anywhere in the article: the event's language-independent evidence.
    terms: frozenset[str] = frozenset()


class Classifier:
    def __init__(self, ruleset: Ruleset, *, max_strings: int | None = None,
                 renew_after: int | None = None) -> None:
        self.max_strings = MAX_STRINGS if max_strings is None else max_strings
        self.renew_after = RENEW_AFTER if renew_after is None else renew_after
        self.renewals = 0
        self._use(ruleset)

    def _use(self, ruleset: Ruleset) -> None:
        self.ruleset = ruleset
        self.nlp = ruleset.nlp
        self.spec = ruleset.spec
        self._ref = ruleset.ref
        self._weights = {"title": self.spec.scoring.title, "lead": self.spec.scoring.lead,
                         "body": self.spec.scoring.body}
        self._required = [(rule, rule.required_terms(), _must_have(rule.spec),
                           Acceptance(rule.spec)) for rule in ruleset.rules]
        self._gate, self._unscanned = _gate_for(ruleset, self._required)
        self._strings = self.nlp.vocab.strings
        self._zoned = 0
        self._new_words = 0.0

    # -- public API -------------------------------------------------------------------------

    def classify_article(self, article: Article, provenance: Provenance | None = None,
                         decided_at: datetime | None = None) -> Decision:
        fields = article_fields(article)
        verdict = self.explain(fields)
        return Decision(
            article_id=article.id, title=article.title, url=article.url, source=article.source,
            feed_id=article.feed_id, tags=article.tags, published_at=article.published_at,
            content_hash=article.content_hash, ruleset=self._ref,
            categories=verdict.categories, severity=verdict.severity, score=verdict.score,
            matches=verdict.matches, decided_at=decided_at or utcnow(), input=provenance,
            language=article.language, update=article.update,
            evidence=_evidence(fields, verdict),
            lead=_lead(article) if verdict.categories or article.update else "")

    def classify_text(self, id: str, title: str, text: str, **article: object) -> Decision:
        """Classify plain text (the `classify` command's input); extra keys fill the decision."""
        fields = [("title", title), ("text", text)]
        verdict = self.explain(fields)
        return Decision(article_id=id, title=title, ruleset=self.ruleset.ref,
                        categories=verdict.categories, severity=verdict.severity,
                        score=verdict.score, matches=verdict.matches,
                        evidence=_evidence(fields, verdict),
                        decided_at=article.pop("decided_at", None) or utcnow(), **article)

    def explain(self, fields: list[tuple[str, str]]) -> Verdict:
        """Classify (field name, text) pairs.

        Memory: every word spaCy meets stays in its string store unless the text is handled
        inside `nlp.memory_zone()`. Until the store holds `max_strings` strings, articles run
        outside a zone, so the everyday vocabulary of the feeds becomes permanent and stays
        in the tokenizer cache; after that every article runs in its own zone, so words new
        to the store (names, numbers) are dropped again and memory stays flat. A zone from
        the first article would re-create every common word for every article: measured
        several times slower. Every `renew_after` zoned articles, or sooner when most words
        of recent articles were new to the learnt vocabulary, the pipeline is rebuilt.
        Articles ruled out by the substring scan are never tokenized and add no words.
        """
        strings = self._strings
        if len(strings) < self.max_strings:
            return self._explain(fields)
        if self._zoned >= self.renew_after or (
                self._zoned >= 200 and self._new_words > NEW_WORDS_RENEW):
            self.renew()
            return self.explain(fields)
        self._zoned += 1
        with self.nlp.memory_zone():
            before = len(strings)
            verdict = self._explain(fields)
            # Words the permanent vocabulary lacked, averaged over recent articles: high when
            # the feeds' vocabulary has moved on from what was learnt, and then a renewal
            # (which learns again) is much faster than re-creating those words every time.
            self._new_words += (len(strings) - before - self._new_words) / 100
            return verdict

    def renew(self) -> None:
        """Rebuild the ruleset's pipeline in place (Ruleset.renew) and start over.

        spaCy 3.8's memory zones free the words of an article but leave their hash-table
        slots behind (measured: about 60 MB per 100,000 articles with 12 new words each);
        a fresh pipeline every `renew_after` zoned articles keeps a long run flat. Same
        spec, same version: decisions do not change.
        """
        self.ruleset.renew()
        self._use(self.ruleset)
        self.renewals += 1
        gc.collect()
        _release_free_heap()

    # -- internals --------------------------------------------------------------------------

    def _docs(self, fields: list[tuple[str, str]]) -> Iterator[FieldDoc]:
        limit = self.spec.scoring.max_field_chars
        lead = self.spec.scoring.lead_sentences
        for name, text in fields:
            if not text or text.isspace():
                continue
            text = text[:limit]
            doc = self.nlp.make_doc(text)
            yield FieldDoc(name, text, doc, self.ruleset.terms.find(doc, text), lead, self.nlp)

    def _nothing_may_fire(self, fields: list[tuple[str, str]]) -> bool:
        """True when a substring scan of the fields shows that no rule can fire: then the
        fields are not tokenized at all (most articles of a general feed)."""
        gate = self._gate
        if gate is None:
            return False
        limit = self.spec.scoring.max_field_chars
        present = set(self._unscanned)  # not looked for: may be there
        for _name, text in fields:
            if not text or text.isspace():
                continue
            found = gate.scan(text[:limit])
            if found is None:
                return False
            for names in found:
                if not names <= present:
                    present |= names
                    if any(self._may_fire(gates, present) for gates in self._required):
                        return False
        return not any(self._may_fire(gates, present) for gates in self._required)

    def _explain(self, fields: list[tuple[str, str]]) -> Verdict:
        if self._nothing_may_fire(fields):
            return self._verdict({name: 0.0 for name in self.spec.categories}, {}, [], {}, set())
        docs = list(self._docs(fields))
        maybe: set[str] = set()
        for fd in docs:
            maybe.update(fd.terms.maybe)
        if not any(self._may_fire(gates, maybe) for gates in self._required):
            return self._verdict({name: 0.0 for name in self.spec.categories}, {}, [], {}, set())
        doc_lists: set[str] = set()
        for fd in docs:
            doc_lists.update(fd.terms.present)
        points: dict[str, float] = {name: 0.0 for name in self.spec.categories}
        rule_points: dict[str, float] = {}
        positions: dict[str, tuple[str, ...]] = {}
        found: list[tuple[int, int, int, Match]] = []
        rank: dict[str, int] = {}
        up_front: set[str] = set()  # categories with positive evidence in the title or lead
        body_weight = self._weights["body"]
        lead_weight = self._weights["lead"]
        # Weight of every hit of a field when it does not depend on the sentence (see
        # FieldDoc.position), else None.
        fixed = [(self._weights["title"], "title") if fd.name == "title" else
                 (lead_weight, "lead") if fd.name == "summary" else None for fd in docs]
        lead_at, body_at = (lead_weight, "lead"), (body_weight, "body")
        for order, gates in enumerate(self._required):
            if not self._may_fire(gates, doc_lists):
                continue
            rule, accepted = gates[0], gates[3]
            spec = rule.spec
            best: dict[tuple[int, int], tuple[float, str]] = {}
            kept = 0
            for findex, fd in enumerate(docs):
                starts = None
                lead_end = 0
                for hit in rule.find(fd):
                    if starts is None:
                        starts = fd.starts
                        lead_end = fd.lead_end
                    sid = bisect_right(starts, hit.start) - 1  # FieldDoc.sentence_of
                    if not accepted(fd, hit, doc_lists, sid):
                        continue
                    where = (findex, sid)
                    weight = fixed[findex]
                    if weight is None:  # FieldDoc.position
                        weight = lead_at if sid < lead_end else body_at
                    if where not in best or weight[0] > best[where][0]:
                        best[where] = weight
                    if kept < MAX_MATCHES_PER_RULE:
                        kept += 1
                        found.append((findex, hit.start_char, order, Match(
                            rule_id=spec.id, category=spec.category,
                            text=fd.text[hit.start_char:hit.end_char], field=fd.name,
                            start=hit.start_char, end=hit.end_char,
                            sentence=fd.sentence_text(hit, sid))))
            if not best:
                continue
            ranked = sorted(best.values(), reverse=True)
            positions[spec.id] = tuple(at for _w, at in ranked)
            weights = [w for w, _at in ranked[:spec.max_hits]]
            gained = spec.score * sum(weights)
            rule_points[spec.id] = round(gained, 3)
            points[spec.category] += gained
            if gained > 0:
                rank[spec.category] = max(rank.get(spec.category, 0), spec.severity_rank)
                if weights[0] > body_weight:
                    up_front.add(spec.category)
        verdict = self._verdict(points, rule_points, found, rank, up_front)
        verdict.positions = positions
        verdict.terms = frozenset(doc_lists)
        return verdict

    @staticmethod
    def _may_fire(gates: tuple, present: set[str]) -> bool:
        _rule, required, must_have, _accepted = gates
        return not (required and required.isdisjoint(present)) and must_have <= present

    def _verdict(self, points: dict[str, float], rule_points: dict[str, float],
                 found: list, rank: dict[str, int], up_front: set[str]) -> Verdict:
        raised = self._raised(points, up_front)
        severity = _SEVERITIES[max((rank.get(c, 0) for c in raised), default=0)] \
            if raised else "none"
        pool = [points[c] for c in raised] or list(points.values()) or [0.0]
        score = round(max(0.0, max(pool)), 3)
        found.sort(key=lambda item: item[:3])
        return Verdict(categories=raised, severity=severity, score=score,
                       matches=tuple(m for *_, m in found[:MAX_MATCHES]),
                       category_points={c: round(p, 3) for c, p in points.items()},
                       rule_points=rule_points)

    def _raised(self, points: dict[str, float], up_front: set[str]) -> tuple[str, ...]:
        cats = self.spec.categories
        raised = {c for c, spec in cats.items() if points[c] >= spec.threshold and (
            c in up_front or spec.body_threshold is None or points[c] >= spec.body_threshold)}
        pending = list(raised)
        while pending:
            for other in cats[pending.pop()].implies:
                if other not in raised:
                    raised.add(other)
                    pending.append(other)
        return tuple(c for c in cats if c in raised)


def _lead(article: Article, limit: int = 400) -> str:
    text = " ".join((article.summary or article.content or "").split())
    return text[:limit]


def _evidence(fields: list[tuple[str, str]], verdict: Verdict) -> EventEvidence:
    """Only alerts are joined into events, so only matched articles carry the evidence."""
    if not verdict.categories:
        return EventEvidence()
    return event_evidence(fields, verdict.terms)


def _gate_for(ruleset: Ruleset, required: list[tuple]) -> tuple[TermGate | None, frozenset[str]]:
    """The TermGate that can rule out every rule, and the gating lists it does not scan.

    A rule is ruled out by the absence of any one list its context needs everywhere (say
    `korea`), or of all its evidence lists. Few lists are scanned (the ones ruling out the
    most rules, then the ones with the longest aliases), so the scan is cheap. Which lists
    are chosen only affects speed: lists not scanned count as present. (None, ...) when
    some rule may fire whatever the text holds."""
    choices: list[list[frozenset[str]]] = []  # per rule: absences that rule it out
    for _rule, req, must_have, _accepted in required:
        if not req and not must_have:
            return None, frozenset()
        choices.append([frozenset([m]) for m in sorted(must_have)] + ([req] if req else []))
    needles = ruleset.terms.needle_lengths()
    scanned: set[str] = set()
    pending = list(range(len(required)))
    while pending:
        counts: dict[frozenset[str], int] = {}
        for i in pending:
            for choice in set(choices[i]):
                counts[choice] = counts.get(choice, 0) + 1

        def rank(choice: frozenset[str]) -> tuple:
            return (counts[choice], min(needles.get(n, 0) for n in choice), -len(choice),
                    sorted(choice))

        best = max(counts, key=rank)
        scanned |= best
        pending = [i for i in pending if best not in choices[i]]
    every = set().union(*(req | must for _r, req, must, _a in required))
    return ruleset.terms.gate(scanned), frozenset(every - scanned)


def _release_free_heap() -> None:
    """Hand memory freed by the old pipeline back to the operating system (glibc keeps it
    otherwise, and resident memory would step up at every renewal)."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (AttributeError, OSError):  # not glibc: nothing to do
        pass


def _must_have(spec) -> frozenset[str]:
    """Term lists the rule's context needs somewhere in the article: without all of them no
    hit can pass, so the rule is skipped before looking for hits."""
    cond = spec.context
    if cond is None:
        return frozenset()
    names = set(cond.in_document) | set(cond.same_sentence)
    if cond.near is not None:
        names |= set(cond.near.terms)
    return frozenset(names)


def _normal(text: str) -> str:
    return " ".join(text.split())


def article_fields(article: Article) -> list[tuple[str, str]]:
    """Fields classified for an article. The summary is skipped when the content repeats it
    (feeds often put the lead in both), so a lead sentence is not counted twice."""
    fields = [("title", article.title)]
    summary, content = article.summary, article.content
    if summary and not (content and _normal(summary)[:200] in _normal(content)):
        fields.append(("summary", summary))
    fields.append(("content", content))
    return fields
