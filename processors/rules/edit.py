"""Change numbers in a rules file in place, keeping every comment and line as it was.

`rules fit` writes its numbers into a copy of the officer's file; a YAML dump would drop the
comments that explain each rule, so each number is replaced where it stands (the node
positions PyYAML's composer reports) and nothing else moves.
"""

from __future__ import annotations

import yaml

from newswatch.errors import ConfigError


def format_number(value: float) -> str:
    """2.0 -> "2", 2.5 -> "2.5": how a person writes the number."""
    return str(int(value)) if float(value).is_integer() else repr(round(float(value), 4))


def set_numbers(text: str, values: dict[str, float], *, source: str = "rules file") -> str:
    """`text` with each dotted name (scoring.body, categories.dispute.threshold,
    rules[dispute-dokdo-claim].score) set to its value. Every name must exist already."""
    root = yaml.compose(text)
    if not isinstance(root, yaml.MappingNode):
        raise ConfigError(f"{source}: not a mapping of sections", fix="check the file loads")
    spans = []
    for name, value in values.items():
        node = _find(root, name)
        if node is None:
            raise ConfigError(f"{source}: no number {name} to change",
                              fix="fit only numbers the file already has")
        spans.append((node.start_mark.index, node.end_mark.index, format_number(value)))
    out = text
    for start, end, new in sorted(spans, reverse=True):
        out = out[:start] + new + out[end:]
    return out


def _find(root: yaml.MappingNode, name: str) -> yaml.ScalarNode | None:
    if name.startswith("rules[") and name.endswith("].score"):
        rule_id = name[len("rules["):-len("].score")]
        rules = _get(root, "rules")
        if not isinstance(rules, yaml.SequenceNode):
            return None
        for item in rules.value:
            ident = _get(item, "id")
            if isinstance(ident, yaml.ScalarNode) and ident.value == rule_id:
                return _scalar(_get(item, "score"))
        return None
    node: yaml.Node | None = root
    for part in name.split("."):
        node = _get(node, part)
    return _scalar(node)


def _get(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            return v
    return None


def _scalar(node: yaml.Node | None) -> yaml.ScalarNode | None:
    return node if isinstance(node, yaml.ScalarNode) else None
