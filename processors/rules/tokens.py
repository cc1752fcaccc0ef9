"""The `tokens` kind: spaCy Matcher token patterns, run only in sentences with an anchor term.

A token pattern costs about 50 ns per token of text it runs over; running it only in the
sentences where one of the rule's anchor terms occurs keeps that cost off most articles.
Patterns are validated by spaCy when the rules file is loaded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from spacy.errors import MatchPatternError
from spacy.matcher import Matcher
from spacy.vocab import Vocab

from processors.nlp import PATTERN_KEYS
from processors.rules.base import RULE_KINDS, Hit, RuleKind

if TYPE_CHECKING:  # pragma: no cover
    from spacy.language import Language

    from processors.fielddoc import FieldDoc
    from processors.rules.schema import RuleSpec

_CHECK_VOCAB = Vocab()


@RULE_KINDS.register("tokens")
class TokensRule(RuleKind):
    name = "tokens"

    @classmethod
    def check(cls, spec: "RuleSpec") -> list[str]:
        problems = []
        if not spec.patterns:
            problems.append("a `tokens` rule needs `patterns:` (a list of spaCy token patterns)")
        if not spec.anchor:
            problems.append("a `tokens` rule needs `anchor:` (term lists that select the "
                            "sentences its patterns run on)")
        if spec.terms or spec.pattern:
            problems.append("`terms`/`pattern` belong to kind terms/regex")
        for i, pattern in enumerate(spec.patterns):
            if not pattern:
                problems.append(f"pattern {i} is empty")
                continue
            try:
                Matcher(_CHECK_VOCAB, validate=True).add(spec.id, [pattern])
            except (MatchPatternError, ValueError, TypeError, KeyError) as exc:
                detail = " ".join(str(exc).split())
                detail = detail.replace(f"Invalid token patterns for matcher rule '{spec.id}' ",
                                        "")
                problems.append(f"pattern {i} is not a valid spaCy token pattern: {detail}")
                continue
            unknown = sorted({str(k) for tok in pattern if isinstance(tok, dict)
                              for k in tok if str(k).upper() not in PATTERN_KEYS})
            if unknown:
                problems.append(f"pattern {i} uses {', '.join(unknown)}: the processor "
                                f"computes only {', '.join(sorted(PATTERN_KEYS))}")
        return problems

    def __init__(self, spec: "RuleSpec", nlp: "Language") -> None:
        super().__init__(spec, nlp)
        self.matcher = Matcher(nlp.vocab, validate=True)
        self.matcher.add(spec.id, spec.patterns)

    def find(self, field: "FieldDoc") -> Iterable[Hit]:
        doc = field.doc
        for index in self.candidate_sentences(field):
            sent = field.sentence_span(index)
            for _key, start, end in self.matcher(sent):
                start += sent.start
                end += sent.start
                yield Hit(start, end, doc[start].idx, doc[end - 1].idx + len(doc[end - 1]))
