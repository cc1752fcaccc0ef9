"""Routing: which channels a decision goes to."""

from __future__ import annotations

import textwrap

from alerts.config import load_config
from alerts.routing import Router
from newswatch.messages import Match
from tests.alertutil import decision

CONFIG = """
routes:
  - {name: dispute, channel: "#dispute", match: {categories: [dispute]}}
  - {name: drills, channel: "#drills", match: {categories: [drills], min_severity: medium}}
  - {name: floor, channel: "#floor", match: {min_severity: critical}}
  - {name: gsomia, channel: "#gsomia", match: {rules: [gsomia-termination]}}
  - {name: official, channel: "#official", match: {feeds: [mofa-jp], tags: [official]}}
"""


def router(tmp_path) -> Router:
    path = tmp_path / "alerts.yaml"
    path.write_text(textwrap.dedent(CONFIG))
    return Router(load_config(path))


def names(r: Router, d) -> list[str]:
    return [route.name for route in r.routes_for(d)]


def test_category_and_severity(tmp_path):
    r = router(tmp_path)
    assert names(r, decision("1", categories=("dispute",), severity="low")) == ["dispute"]
    assert names(r, decision("2", categories=("drills",), severity="low")) == []
    assert names(r, decision("3", categories=("drills",), severity="medium")) == ["drills"]


def test_one_decision_may_go_to_several_routes(tmp_path):
    d = decision("4", categories=("dispute", "drills"), severity="critical")
    assert names(router(tmp_path), d) == ["dispute", "drills", "floor"]


def test_rule_ids_feeds_and_tags(tmp_path):
    r = router(tmp_path)
    gsomia = decision("5", categories=("cooperation",), severity="low", matches=(
        Match(rule_id="gsomia-termination", category="dispute", text="GSOMIA", field="title",
              start=0, end=6, sentence="GSOMIA"),))
    assert names(r, gsomia) == ["gsomia"]
    official = decision("6", categories=("cooperation",), feed_id="mofa-jp", tags=("official",))
    assert names(r, official) == ["official"]
    untagged = decision("7", categories=("cooperation",), feed_id="mofa-jp")
    assert names(r, untagged) == []


def test_decisions_without_a_category_go_nowhere(tmp_path):
    assert names(router(tmp_path), decision("8", categories=())) == []
