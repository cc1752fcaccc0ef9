"""The alerts stage: decisions -> Slack (or the console), exactly once per alert id.

Reads `newswatch.decisions`, routes every decision that carries a category to the channels
named in `config/alerts.yaml`, and keeps the alert ledger in `newswatch.alerts`. It imports
only from the shared `newswatch` package; Kafka topics are its only link to the other stages.
"""
