"""Webhook tests: a real receiver on this machine, allowed as a private host."""
import pytest

from engine import webhooks
from tests.support.webhook_receiver import LOCAL, WebhookReceiver


@pytest.fixture
def receiver():
    with WebhookReceiver() as running:
        yield running


@pytest.fixture
def subscribe(database, clock, receiver):
    """``subscribe("points.earned", ...)``: an active endpoint at the receiver for those kinds."""
    def make(*kinds: str, url: str | None = None) -> webhooks.NewWebhookEndpoint:
        return webhooks.add_endpoint(database, url=url or receiver.url, kinds=list(kinds), actor="admin",
                                     now=clock(), allowed_private=LOCAL)
    return make


@pytest.fixture
def send_round(database, clock):
    """One sending round at the clock's time, to this machine's receivers."""
    def run(**options) -> webhooks.SendingRound:
        return webhooks.deliver_webhooks(database, now=clock(), allowed_private=LOCAL, **options)
    return run
