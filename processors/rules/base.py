"""What every rule kind implements, and the name -> class registry the rules file uses.

A rule kind turns one rule of the rules file into candidate hits in one field of an article.
Context conditions and exclusions are applied afterwards by the classifier, the same way for
every kind, so a new kind only has to say where its evidence is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Iterable

from newswatch.registry import Registry

if TYPE_CHECKING:  # pragma: no cover
    from spacy.language import Language

    from processors.fielddoc import FieldDoc
    from processors.rules.schema import RuleSpec


@dataclass(slots=True)
class Hit:
    """A span of one field: token range [start, end) and character range [start_char, end_char).

    Not frozen: a frozen dataclass costs four times as much to create, and an article with
    many terms creates a hundred of these."""

    start: int
    end: int
    start_char: int
    end_char: int


class RuleKind:
    """Base of a rule kind: check the rule's own fields at load, then find hits per field."""

    name: ClassVar[str]

    @classmethod
    def check(cls, spec: "RuleSpec") -> list[str]:
        """Problems with the kind-specific fields of `spec` (empty when it is valid)."""
        return []

    def __init__(self, spec: "RuleSpec", nlp: "Language") -> None:
        """Compile the rule for the pipeline `nlp` (the one every article goes through)."""
        self.spec = spec

    def required_terms(self) -> frozenset[str]:
        """Term lists of which one must occur in an article before `find` can hit anything.

        The classifier skips the rule without calling `find` when none of them occurs, which
        keeps the per-article cost independent of the number of rules.
        """
        return frozenset(self.spec.terms or self.spec.anchor)

    def find(self, field: "FieldDoc") -> Iterable[Hit]:  # pragma: no cover - abstract
        raise NotImplementedError

    def candidate_sentences(self, field: "FieldDoc") -> list[int]:
        """Sentences with an anchor term and every list the context needs in the same
        sentence: a hit anywhere else could not pass the context, so patterns skip it."""
        context = self.spec.context
        return field.sentences_with(self.spec.anchor, context.same_sentence if context else ())


RULE_KINDS: Registry[RuleKind] = Registry("rule kind")
