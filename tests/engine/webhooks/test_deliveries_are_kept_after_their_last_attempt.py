"""A delivery is kept ``KEEP_DAYS`` after it was delivered or failed, not after its event was
made: an event that waited weeks for its endpoint (a receiver under maintenance) can still be
listed and sent again the night it finally failed."""
from datetime import timedelta

from engine import webhooks


def test_a_delivery_that_waited_for_its_endpoint_is_kept_after_it_failed(database, clock, receiver, subscribe,
                                                                         send_round, make_member):
    endpoint = subscribe("member.enrolled").endpoint
    make_member()
    receiver.answers = [503] * 20
    clock.advance(days=webhooks.KEEP_DAYS + 10)  # the event waited (an endpoint switched off, a long outage)
    while webhooks.list_deliveries(database, endpoint.id)[0].status == "pending":
        send_round()
        clock.advance(hours=12)
    (failed,) = webhooks.list_deliveries(database, endpoint.id)
    assert failed.status == "failed"
    assert webhooks.purge_deliveries(database, as_of=clock()) == 0
    assert webhooks.list_deliveries(database, endpoint.id) == [failed]
    assert webhooks.purge_deliveries(database, as_of=clock() + timedelta(days=webhooks.KEEP_DAYS, hours=1)) == 1
