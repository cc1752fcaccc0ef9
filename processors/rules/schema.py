"""The rules file (config/rules.yaml) as frozen pydantic models, validated at load.

Cross references (a rule naming a term list or a category) are checked with the names found
in the same file, passed in as validation context, so an error points at the line of the
rule that is wrong and names the rule id. Kind-specific fields (token patterns, regular
expressions) are checked by the kind itself (processors.rules.<kind>.check).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from newswatch.configfile import suggest
from newswatch.messages import SEVERITY_ORDER, Severity

NAME = r"^[a-z0-9][a-z0-9_.-]*$"
Name = Annotated[str, Field(pattern=NAME, max_length=80)]
Position = Literal["title", "lead", "body"]


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


def _error(message: str, fix: str) -> PydanticCustomError:
    return PydanticCustomError("value_error", message, {"fix": fix})


def _check_term_names(names: list[str], info: ValidationInfo) -> list[str]:
    known = (info.context or {}).get("terms")
    if known is None:
        return names
    unknown = [n for n in names if n not in known]
    if unknown:
        hints = {n: suggest(n, known) for n in unknown}
        said = ", ".join(f"{n!r} (did you mean {hints[n]!r}?)" if hints[n] else repr(n)
                         for n in unknown)
        if all(hints.values()):
            fix = "write " + ", ".join(repr(h) for h in hints.values()) + \
                ", or define the list under `terms:`"
        else:
            fix = f"define them under `terms:` or use one of: {', '.join(sorted(known))}"
        raise _error(f"unknown term list(s): {said}", fix)
    return names


class Category(Model):
    """A category decisions can carry; raised when its rules' points reach `threshold`."""

    description: str = ""
    threshold: float = Field(gt=0)
    body_threshold: float | None = Field(None, gt=0, description=(
        "points needed when no evidence for the category stands in the title or lead: "
        "background paragraphs alone should not raise it"))
    implies: list[Name] = Field(default_factory=list, description=(
        "categories also raised whenever this one is (drills -> cooperation)"))


class TermList(Model):
    """Aliases of one thing, in any language and script.

    Aliases in Latin script match whole tokens (case-insensitively unless case_sensitive);
    aliases containing Hangul, kana or CJK ideographs match anywhere inside words, because
    Korean attaches particles (독도는) and Japanese has no spaces.
    """

    aliases: list[str] = Field(default_factory=list)
    include: list[Name] = Field(default_factory=list, description="other lists merged in")
    unless: list[str] = Field(default_factory=list, description=(
        "longer phrases inside which an alias does not count (Korea in North Korea)"))
    case_sensitive: bool = False
    description: str = ""

    @field_validator("aliases", "unless")
    @classmethod
    def _aliases(cls, value: list[str]) -> list[str]:
        cleaned = []
        for alias in value:
            alias = " ".join(str(alias).split())
            if not alias:
                raise _error("empty alias", "remove the empty entry")
            cleaned.append(alias)
        return cleaned

    @field_validator("include")
    @classmethod
    def _include(cls, value: list[str], info: ValidationInfo) -> list[str]:
        return _check_term_names(value, info)


class Near(Model):
    terms: list[Name] = Field(min_length=1)
    within: int = Field(ge=0, le=100, description="tokens between the two spans, at most")

    @field_validator("terms")
    @classmethod
    def _terms(cls, value: list[str], info: ValidationInfo) -> list[str]:
        return _check_term_names(value, info)


class Condition(Model):
    """Conditions on one hit; every key given must hold.

    same_sentence / in_document: every listed term list occurs there.
    not_same_sentence / not_in_document: none of them occurs there.
    near: every listed term list occurs within `within` tokens of the hit.
    in: the hit stands in one of these positions (title; lead = the summary and the first
        scoring.lead_sentences sentences of the body; body = the rest of the body).
    overlaps: a hit of one of the listed term lists overlaps this hit (ROKS Dokdo, a ship).
    """

    same_sentence: list[Name] = Field(default_factory=list)
    not_same_sentence: list[Name] = Field(default_factory=list)
    near: Near | None = None
    not_near: Near | None = None
    in_: list[Position] = Field(default_factory=list, alias="in")
    in_document: list[Name] = Field(default_factory=list)
    not_in_document: list[Name] = Field(default_factory=list)
    overlaps: list[Name] = Field(default_factory=list)

    @field_validator("same_sentence", "not_same_sentence", "in_document", "not_in_document",
                     "overlaps")
    @classmethod
    def _terms(cls, value: list[str], info: ValidationInfo) -> list[str]:
        return _check_term_names(value, info)

    @model_validator(mode="after")
    def _not_empty(self) -> "Condition":
        if not self.model_fields_set:
            raise _error("empty condition", "give at least one of: " + ", ".join(
                f.alias or n for n, f in Condition.model_fields.items()))
        return self

    def term_lists(self) -> set[str]:
        names = set(self.same_sentence) | set(self.not_same_sentence) | set(self.in_document)
        names |= set(self.not_in_document) | set(self.overlaps)
        for near in (self.near, self.not_near):
            if near:
                names |= set(near.terms)
        return names


class RuleSpec(Model):
    """One rule: where its evidence is (kind + terms/patterns), when it counts, what it gives."""

    id: Name
    kind: str = "terms"
    category: Name
    severity: Severity = "low"
    score: float = Field(description="points the rule adds to its category (may be negative)")
    description: str = ""
    terms: list[Name] = Field(default_factory=list, description="term lists (kind: terms)")
    anchor: list[Name] = Field(default_factory=list, description=(
        "term lists of which one must be in the sentence before patterns run "
        "(kind: tokens, regex)"))
    patterns: list[list[dict[str, Any]]] = Field(default_factory=list,
                                                 description="spaCy token patterns")
    pattern: str | None = Field(None, description="regular expression (RE2 syntax)")
    case_sensitive: bool = False
    context: Condition | None = None
    exclude: list[Condition] = Field(default_factory=list, description=(
        "a hit for which any one of these holds is dropped"))
    max_hits: int = Field(1, ge=1, le=20, description=(
        "how many sentences with a hit count towards the score"))
    enabled: bool = True

    @field_validator("terms", "anchor")
    @classmethod
    def _terms(cls, value: list[str], info: ValidationInfo) -> list[str]:
        return _check_term_names(value, info)

    @field_validator("id")
    @classmethod
    def _unique(cls, value: str, info: ValidationInfo) -> str:
        if value in (info.context or {}).get("duplicate_ids", ()):
            raise _error(f"rule id {value!r} is used more than once",
                         "give every rule its own id")
        return value

    @field_validator("category")
    @classmethod
    def _category(cls, value: str, info: ValidationInfo) -> str:
        known = (info.context or {}).get("categories")
        if known is not None and value not in known:
            raise _error(f"unknown category {value!r}",
                         f"define it under `categories:` or use one of: {', '.join(sorted(known))}")
        return value

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        from processors.rules import RULE_KINDS  # registers every kind
        if value not in RULE_KINDS:
            raise _error(f"unknown rule kind {value!r}",
                         f"use one of: {', '.join(RULE_KINDS.names())}")
        return value

    @model_validator(mode="after")
    def _kind_fields(self) -> "RuleSpec":
        from processors.rules import RULE_KINDS
        problems = RULE_KINDS.get(self.kind).check(self)
        if problems:
            raise _error("; ".join(problems), "see the rules file reference at the top of "
                         "config/rules.yaml")
        return self

    @property
    def severity_rank(self) -> int:
        return SEVERITY_ORDER[self.severity]


class Scoring(Model):
    """How a rule's hit is weighted by where it stands. The lead is where a story's subject is."""

    title: float = Field(2.0, ge=0)
    lead: float = Field(1.5, ge=0)
    body: float = Field(1.0, ge=0)
    lead_sentences: int = Field(2, ge=0, le=20, description=(
        "sentences at the start of the body that count as the lead (the summary always does)"))
    max_field_chars: int = Field(100_000, ge=1000, description=(
        "longer fields are cut here, so one huge article cannot stall the stream"))


class RulesFile(Model):
    name: Name | None = None
    description: str = ""
    scoring: Scoring = Field(default_factory=Scoring)
    categories: dict[Name, Category] = Field(min_length=1)
    terms: dict[Name, TermList] = Field(default_factory=dict)
    rules: list[RuleSpec] = Field(min_length=1)

    @field_validator("terms", mode="before")
    @classmethod
    def _short_lists(cls, value: Any) -> Any:
        """`korea: [Seoul, ROK]` is short for `korea: {aliases: [Seoul, ROK]}`."""
        if isinstance(value, dict):
            return {k: ({"aliases": v} if isinstance(v, list) else v) for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _consistent(self) -> "RulesFile":
        for name, cat in self.categories.items():
            for other in cat.implies:
                if other not in self.categories:
                    raise _error(f"category {name!r} implies unknown category {other!r}",
                                 "define it under `categories:`")
        _check_cycles(self.terms)
        return self


def _check_cycles(terms: dict[str, TermList]) -> None:
    state: dict[str, int] = {}

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            raise _error("term lists include each other: " + " -> ".join(path + [name]),
                         "remove one of the includes")
        state[name] = 1
        for other in terms[name].include if name in terms else ():
            visit(other, path + [name])
        state[name] = 2

    for name in terms:
        visit(name, [])


def validation_context(data: Any) -> dict[str, Any]:
    """Names defined in the raw file, for cross-reference checks with line numbers."""
    data = data if isinstance(data, dict) else {}
    terms = data.get("terms") if isinstance(data.get("terms"), dict) else {}
    cats = data.get("categories") if isinstance(data.get("categories"), dict) else {}
    rules = data.get("rules") if isinstance(data.get("rules"), list) else []
    ids = [r.get("id") for r in rules if isinstance(r, dict)]
    duplicates = {i for i in ids if isinstance(i, str) and ids.count(i) > 1}
    return {"terms": set(map(str, terms)), "categories": set(map(str, cats)),
            "duplicate_ids": duplicates}


CJK = re.compile(r"[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff"
                 r"\uac00-\ud7af\uf900-\ufaff\uff01-\uff9f]")
"""Hangul, kana, CJK ideographs and full-width forms (ＧＳＯＭＩＡ in Japanese text): aliases
with any of these match as substrings, since the text around them has no spaces."""


def is_cjk(alias: str) -> bool:
    return CJK.search(alias) is not None
