"""The incoming-webhook target, with slack-sdk's WebhookClient against the fake Slack."""

from __future__ import annotations

import pytest
from pydantic import SecretStr
from slack_sdk.webhook import WebhookClient

from alerts.config import Delivery
from alerts.render import alert_view, to_slack
from alerts.sinks import make_sink
from alerts.sinks.base import DeliveryError
from alerts.sinks.slack_webhook import SlackWebhookSink
from newswatch.errors import ConfigError
from newswatch.settings import Settings
from tests.alertutil import CHANNELS, decision
from tests.fakeslack import FakeSlack


@pytest.fixture
def fake():
    slack = FakeSlack(CHANNELS, webhook_channel="C0FLOOR001")
    yield slack
    slack.close()


def sink_for(fake, **delivery) -> SlackWebhookSink:
    sleeps: list[float] = []
    return SlackWebhookSink(WebhookClient(fake.webhook_url, timeout=5), Delivery(**delivery),
                            sleep=sleeps.append)


def message():
    return to_slack(alert_view(decision("w1"), alert_id="e" * 16, route="dispute",
                               channel="C0DISPUTE1"))


def test_posts_to_the_webhooks_own_channel_without_unfurling(fake):
    result = sink_for(fake).post("C0DISPUTE1", message())
    (post,) = fake.posts()
    assert post["channel"] == "C0FLOOR001" and post["via_webhook"]
    assert post["params"]["unfurl_links"] is False and post["blocks"]
    assert result.ts is None  # a webhook gives no message id: no threads


def test_settings_choose_the_webhook_when_there_is_no_token(fake):
    settings = Settings.load(slack_webhook_url=fake.webhook_url)
    sink = make_sink(settings, Delivery())
    assert isinstance(sink, SlackWebhookSink) and not sink.supports_threads
    with pytest.raises(ConfigError):
        make_sink(Settings.load(slack_webhook_url=SecretStr("file:///etc/passwd")), Delivery())


def test_429_then_500_then_success_posts_once(fake):
    fake.fail_next("webhook", status=429, retry_after=1)
    fake.fail_next("webhook", status=500)
    result = sink_for(fake).post("C0DISPUTE1", message())
    assert [c.status for c in fake.calls_to("webhook")] == [429, 500, 200]
    assert result.attempts == 3 and len(fake.posts()) == 1


def test_channel_and_token_errors(fake):
    fake.error_next("webhook", "channel_not_found")
    with pytest.raises(DeliveryError) as info:
        sink_for(fake).post("C0DISPUTE1", message())
    assert info.value.kind == "channel"
    fake.error_next("webhook", "invalid_token")
    with pytest.raises(DeliveryError) as info:
        sink_for(fake).post("C0DISPUTE1", message())
    assert info.value.kind == "fatal" and "SLACK_WEBHOOK_URL" in info.value.fix
