"""Config files: every problem names the file, the line, where, and the fix."""

from typing import Literal

import pytest
from pydantic import BaseModel, ConfigDict

from newswatch.configfile import ConfigFileError, load_model


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    severity: Literal["low", "high"]
    score: float = 1.0


class Rules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    rules: list[Rule]


def write(tmp_path, text):
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    return path


def test_valid_file_loads_into_a_frozen_model(tmp_path):
    rules = load_model(write(tmp_path, "rules:\n  - id: a\n    severity: low\n"), Rules)
    assert rules.rules[0].id == "a"


def test_every_problem_is_listed_with_line_and_rule_id(tmp_path):
    path = write(tmp_path, "rules:\n  - id: a\n    severity: low\n"
                           "  - id: gsomia\n    severity: urgent\n    colour: red\n"
                           "  - severity: high\n")
    with pytest.raises(ConfigFileError) as info:
        load_model(path, Rules)
    text = str(info.value)
    assert f"{path}:5: rules[1] (id=gsomia).severity" in text
    assert f"{path}:6: rules[1] (id=gsomia).colour" in text and "remove it" in text
    assert f"{path}:7: rules[2].id: Field required (fix: add this key)" in text
    assert len(info.value.problems) == 3


def test_yaml_syntax_error_names_the_line(tmp_path):
    path = write(tmp_path, "rules:\n  - id: a\n    severity: [low\n")
    with pytest.raises(ConfigFileError, match=r"rules.yaml:\d+: invalid YAML"):
        load_model(path, Rules)


def test_duplicate_keys_are_errors_not_silently_overwritten(tmp_path):
    path = write(tmp_path, "rules:\n  - id: a\n    severity: low\n    severity: high\n")
    with pytest.raises(ConfigFileError, match=r"rules.yaml:4: .*duplicate key"):
        load_model(path, Rules)


def test_missing_file_says_so(tmp_path):
    with pytest.raises(ConfigFileError, match="file not found"):
        load_model(tmp_path / "nope.yaml", Rules)


def test_empty_file_reports_the_missing_keys(tmp_path):
    with pytest.raises(ConfigFileError, match="rules: Field required"):
        load_model(write(tmp_path, ""), Rules)
