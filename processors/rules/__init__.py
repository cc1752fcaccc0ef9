"""Rule kinds and the rules-file schema. Importing this package registers every kind."""

from processors.rules.base import RULE_KINDS, Hit, RuleKind
from processors.rules import regex, terms, tokens  # noqa: F401  (registration)

__all__ = ["RULE_KINDS", "Hit", "RuleKind"]
