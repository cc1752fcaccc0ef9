"""A loaded rules file: the validated spec, its version hash, and the compiled matchers.

The version is the first 12 hex digits of the SHA-256 of the file's bytes, so the same file
gives the same version on every machine and any edit, even of a comment, gives a new one;
decisions carry it and `newswatch.rulesets` stores the text under it for audits.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from spacy.language import Language

from newswatch.configfile import ConfigFileError, Problem, parse_yaml, validate
from newswatch.messages import RulesetRecord, RulesetRef, utcnow
from processors.nlp import make_nlp
from processors.rules import RULE_KINDS, RuleKind
from processors.rules.schema import RulesFile, validation_context
from processors.rules.terms import TermIndex


def version_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:12]


@dataclass
class Ruleset:
    name: str
    version: str
    path: str
    text: str
    spec: RulesFile
    nlp: Language = field(repr=False)
    terms: TermIndex = field(repr=False)
    rules: list[RuleKind] = field(repr=False)

    @property
    def ref(self) -> RulesetRef:
        return RulesetRef(name=self.name, version=self.version)

    def record(self) -> RulesetRecord:
        """What `newswatch.rulesets` keeps under this version, for audits and replays."""
        return RulesetRecord(name=self.name, version=self.version, source_path=self.path,
                             text=self.text, recorded_at=utcnow())

    def renew(self) -> None:
        """Rebuild the spaCy pipeline and matchers from the same spec, in place.

        Everyone holding this ruleset then uses the fresh pipeline and the old one (with
        whatever it accumulated) is freed. Same spec and version: same decisions.
        """
        fresh = compile_ruleset(self.spec, text=self.text, version=self.version,
                                path=self.path, name=self.name)
        self.nlp, self.terms, self.rules = fresh.nlp, fresh.terms, fresh.rules

    def describe(self) -> str:
        return (f"{self.name} (version {self.version}): {len(self.spec.categories)} categories, "
                f"{len(self.rules)} rules, {len(self.spec.terms)} term lists, "
                f"{self.terms.alias_count} aliases")


def referenced_lists(spec: RulesFile) -> set[str]:
    """Term lists that enabled rules use directly or in their conditions."""
    used: set[str] = set()
    for rule in spec.rules:
        if not rule.enabled:
            continue
        used |= set(rule.terms) | set(rule.anchor)
        for cond in ([rule.context] if rule.context else []) + list(rule.exclude):
            used |= cond.term_lists()
    return used


def context_only_lists(spec: RulesFile) -> set[str]:
    """Lists that rules only ask about by sentence or document (never as evidence, `near` or
    `overlaps`): the term index keeps just their positions."""
    asked: set[str] = set()
    spans: set[str] = set()
    for rule in spec.rules:
        spans |= set(rule.terms) | set(rule.anchor)
        for cond in ([rule.context] if rule.context else []) + list(rule.exclude):
            asked |= set(cond.same_sentence) | set(cond.not_same_sentence)
            asked |= set(cond.in_document) | set(cond.not_in_document)
            spans |= set(cond.overlaps)
            for near in (cond.near, cond.not_near):
                if near:
                    spans |= set(near.terms)
    return asked - spans


def load_ruleset(path: str | Path) -> Ruleset:
    """Read, validate and compile a rules file. Raises ConfigFileError listing every problem."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigFileError([Problem(str(path), None, "", "file not found",
                                       "pass the right file, or --config-dir")]) from None
    except OSError as exc:
        raise ConfigFileError([Problem(str(path), None, "", f"cannot read: {exc.strerror}")]) \
            from None
    return load_ruleset_bytes(data, path)


def load_ruleset_bytes(data: bytes, path: str | Path = "rules.yaml") -> Ruleset:
    path = Path(path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigFileError([Problem(str(path), None, "", f"not UTF-8 ({exc.reason})",
                                       "save the file as UTF-8")]) from None
    raw, lines = parse_yaml(path, text)
    spec = validate(path, raw, lines, RulesFile, context=validation_context(raw))
    return compile_ruleset(spec, text=text, version=version_of(data), path=str(path),
                           name=spec.name or path.stem)


def compile_ruleset(spec: RulesFile, *, text: str, version: str, path: str,
                    name: str) -> Ruleset:
    nlp = make_nlp()
    terms = TermIndex(nlp, spec.terms, used=referenced_lists(spec),
                      context_only=context_only_lists(spec))
    rules: list[RuleKind] = []
    for rule in spec.rules:
        if not rule.enabled:
            continue
        rules.append(RULE_KINDS.get(rule.kind)(rule, nlp))
    return Ruleset(name=name, version=version, path=path, text=text, spec=spec, nlp=nlp,
                   terms=terms, rules=rules)
