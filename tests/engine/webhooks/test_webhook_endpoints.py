"""Admins add, change and remove the endpoints webhooks go to; every refusal changes nothing."""
import pytest

from engine import webhooks
from engine.errors import Conflict, InvalidInput, InvalidState, NotFound
from tests.support.assertions import refused_unchanged
from tests.support.webhook_receiver import LOCAL, public_resolver


def add(database, clock, url="https://crm.example.com/hooks", kinds=("points.earned",), **options):
    return webhooks.add_endpoint(database, url=url, kinds=kinds, actor="admin", now=clock(),
                                 allowed_private=options.pop("allowed_private", frozenset()),
                                 resolver=options.pop("resolver", public_resolver), **options)


def test_an_added_endpoint_is_listed_without_its_secret_which_is_shown_once(database, clock):
    added = add(database, clock, kinds=["reward.redeemed", "points.earned"], description="CRM")
    assert added.secret.startswith("whsec_") and len(added.secret) > 40
    listed = webhooks.list_endpoints(database)
    assert listed == [added.endpoint]
    assert listed[0].kinds == ("points.earned", "reward.redeemed") and listed[0].active
    assert listed[0].description == "CRM" and listed[0].created_by == "admin"
    assert added.secret not in repr(listed)


def test_the_same_url_twice_is_a_conflict_so_a_retry_adds_no_second(database, clock):
    add(database, clock)
    with refused_unchanged(database, Conflict, "webhook_exists"):
        add(database, clock, kinds=["member.enrolled"])


@pytest.mark.parametrize("url, message", [
    ("http://crm.example.com/hooks", "must be https"),
    ("ftp://crm.example.com/hooks", "https URL"),
    ("https:///hooks", "https URL with a host"),
    ("https://user:pw@crm.example.com/hooks", "user or password"),
    ("https://crm.example.com/hooks#x", "fragment"),
    ("https://crm.example.com:99999/hooks", "not a URL"),
    ("crm.example.com/hooks", "https URL"),
    ("https://crm.example.com/" + "a" * 2000, "at most 2000"),
    ("https://crm.exämple.com/hooks", "absolute URL"),
    ("https://crm.example.com/\nhooks", "absolute URL"),
])
def test_a_url_that_is_not_an_https_url_to_a_host_is_refused(database, clock, url, message):
    with refused_unchanged(database, InvalidInput) as caught:
        add(database, clock, url=url)
    assert message in str(caught.value)


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "172.16.0.9", "192.168.1.1", "169.254.169.254",
                                     "0.0.0.0", "100.64.0.1", "::1", "fd00::1", "fe80::1", "::ffff:127.0.0.1",
                                     "224.0.0.1"])
def test_a_host_that_resolves_to_a_private_or_reserved_address_is_refused(database, clock, address):
    # the cloud's metadata service, this machine, the shop's network: nothing a webhook may reach
    with refused_unchanged(database, InvalidInput) as caught:
        add(database, clock, resolver=lambda host, port: ["93.184.216.34", address])
    assert "private or reserved address" in str(caught.value)


@pytest.mark.parametrize("url", ["https://127.0.0.1/hooks", "https://[::1]/hooks", "https://localhost/hooks",
                                 "https://2130706433/hooks", "https://0x7f.1/hooks"])
def test_an_address_written_in_the_url_is_resolved_and_refused_like_a_name(database, clock, url):
    with refused_unchanged(database, InvalidInput) as caught:
        add(database, clock, url=url, resolver=webhooks.resolve)
    assert "private or reserved address" in str(caught.value)


def test_a_host_that_cannot_be_resolved_is_refused(database, clock):
    def nowhere(host, port):
        raise OSError("Name or service not known")
    with refused_unchanged(database, InvalidInput) as caught:
        add(database, clock, resolver=nowhere)
    assert "cannot be resolved" in str(caught.value)


def test_a_host_the_operator_lists_may_be_private_and_plain_http(database, clock):
    added = add(database, clock, url="http://127.0.0.1:8080/hooks", allowed_private=LOCAL, resolver=webhooks.resolve)
    assert added.endpoint.url == "http://127.0.0.1:8080/hooks"


@pytest.mark.parametrize("kinds, message", [([], "at least one"), (["points.stolen"], "unknown event kinds points.stolen"),
                                            (["webhook.test"], "unknown"), ("points.earned", "at least one")])
def test_unknown_or_no_event_kinds_are_refused(database, clock, kinds, message):
    with refused_unchanged(database, InvalidInput) as caught:
        add(database, clock, kinds=kinds)
    assert message in str(caught.value)


def test_a_programme_has_at_most_twenty_endpoints(database, clock):
    for n in range(webhooks.MAX_ENDPOINTS):
        add(database, clock, url=f"https://crm.example.com/hooks/{n}")
    with refused_unchanged(database, InvalidState, "too_many_webhooks"):
        add(database, clock, url="https://crm.example.com/one-more")


def test_an_endpoint_is_changed_deactivated_and_removed(database, clock):
    endpoint = add(database, clock).endpoint
    changed = webhooks.change_endpoint(database, endpoint.id, allowed_private=frozenset(), resolver=public_resolver,
                                       url="https://crm.example.com/v2", kinds=["member.enrolled"], active=False,
                                       description="CRM, second version")
    assert (changed.url, changed.kinds, changed.active, changed.description) == (
        "https://crm.example.com/v2", ("member.enrolled",), False, "CRM, second version")
    assert webhooks.list_endpoints(database) == [changed]
    webhooks.remove_endpoint(database, endpoint.id)
    assert webhooks.list_endpoints(database) == []
    with refused_unchanged(database, NotFound):
        webhooks.remove_endpoint(database, endpoint.id)


def test_a_change_to_a_private_url_or_an_unknown_kind_is_refused(database, clock):
    endpoint = add(database, clock).endpoint
    with refused_unchanged(database, InvalidInput, "invalid_input") as caught:
        webhooks.change_endpoint(database, endpoint.id, allowed_private=frozenset(),
                                 resolver=lambda host, port: ["10.0.0.1"], url="https://crm.example.com/v2",
                                 kinds=["nothing"], active="yes")
    assert {p.field for p in caught.value.problems} == {"url", "kinds", "active"}
    with refused_unchanged(database, NotFound):
        webhooks.change_endpoint(database, endpoint.id + 1, allowed_private=frozenset(), active=False)


@pytest.mark.parametrize("description", ["x" * 201, "line\nbreak", 7])
def test_a_description_too_long_or_not_one_line_of_text_is_refused(database, clock, description):
    with refused_unchanged(database, InvalidInput) as caught:
        add(database, clock, description=description)
    assert [p.field for p in caught.value.problems] == ["description"]


@pytest.mark.parametrize("options, field", [({"limit": 0}, "limit"), ({"limit": 501}, "limit"),
                                            ({"before_id": 0}, "before_id"), ({"before_id": 2**63}, "before_id"),
                                            ({"status": "lost"}, "status")])
def test_a_page_of_deliveries_out_of_bounds_is_refused_naming_the_field(database, clock, options, field):
    endpoint = add(database, clock).endpoint
    with pytest.raises(InvalidInput) as caught:
        webhooks.list_deliveries(database, endpoint.id, **options)
    assert [p.field for p in caught.value.problems] == [field]
