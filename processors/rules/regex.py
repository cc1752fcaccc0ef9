"""The `regex` kind: regular expressions run with RE2, never with a backtracking engine.

RE2 (google-re2) matches in time linear in the text, so a pathological pattern such as
`(a+)+$` cannot hang the processor; features that need backtracking (look-around,
back-references) are rejected when the rules file is loaded. With `anchor:` the expression
runs only in sentences containing one of the anchor terms; without, over the whole field
(bounded by scoring.max_field_chars).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

import re2

from processors.rules.base import RULE_KINDS, Hit, RuleKind

if TYPE_CHECKING:  # pragma: no cover
    from spacy.language import Language

    from processors.fielddoc import FieldDoc
    from processors.rules.schema import RuleSpec


def compile_re2(pattern: str, case_sensitive: bool):
    options = re2.Options()
    options.log_errors = False
    options.case_sensitive = case_sensitive
    return re2.compile(pattern, options)


@RULE_KINDS.register("regex")
class RegexRule(RuleKind):
    name = "regex"

    @classmethod
    def check(cls, spec: "RuleSpec") -> list[str]:
        if spec.terms or spec.patterns:
            return ["`terms`/`patterns` belong to kind terms/tokens"]
        if not spec.pattern:
            return ["a `regex` rule needs `pattern:` (an RE2 regular expression)"]
        try:
            compiled = compile_re2(spec.pattern, spec.case_sensitive)
        except re2.error as exc:
            reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) \
                else str(exc)
            return [f"pattern is not a valid RE2 expression: {reason} (RE2 has no "
                    "look-around or back-references)"]
        if compiled.search("") is not None:
            return ["pattern matches the empty string"]
        return []

    def __init__(self, spec: "RuleSpec", nlp: "Language") -> None:
        super().__init__(spec, nlp)
        self.regex = compile_re2(spec.pattern or "", spec.case_sensitive)

    def required_terms(self) -> frozenset[str]:
        return frozenset(self.spec.anchor) if self.spec.anchor else frozenset()

    def find(self, field: "FieldDoc") -> Iterable[Hit]:
        if self.spec.anchor:
            chunks = []
            for index in self.candidate_sentences(field):
                start, end = field.sentence_chars(index)
                chunks.append((start, field.text[start:end]))
        else:
            chunks = [(0, field.text)]
        for offset, text in chunks:
            for m in self.regex.finditer(text):
                start, end = m.span()
                if start == end:
                    continue
                span = field.doc.char_span(offset + start, offset + end, alignment_mode="expand")
                if span is not None:
                    yield Hit(span.start, span.end, offset + start, offset + end)
