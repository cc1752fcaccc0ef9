"""Which routes a decision goes to. One decision may go to several routes (channels)."""

from __future__ import annotations

from alerts.config import AlertsConfig, Route, RouteMatch
from newswatch.messages import SEVERITY_ORDER, Decision


def matches(match: RouteMatch, decision: Decision) -> bool:
    if not decision.categories:
        return False
    if SEVERITY_ORDER.get(decision.severity, 0) < SEVERITY_ORDER[match.min_severity]:
        return False
    if match.categories and not set(match.categories) & set(decision.categories):
        return False
    if match.rules and not set(match.rules) & {m.rule_id for m in decision.matches}:
        return False
    if match.feeds and decision.feed_id not in match.feeds:
        return False
    if match.tags and not set(match.tags) & set(decision.tags):
        return False
    return True


class Router:
    def __init__(self, config: AlertsConfig) -> None:
        self.config = config

    def routes_for(self, decision: Decision) -> list[Route]:
        return [route for route in self.config.routes if matches(route.match, decision)]

    def mentions(self, route: Route, decision: Decision) -> tuple[str, ...]:
        return self.config.mentions_for(route, decision.severity)
