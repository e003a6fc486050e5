"""A channel condition lists the channels sales come through, as they are written: one no sale
has ("Online") would never match, so it is refused and no draft is saved."""
from engine.errors import InvalidInput
from engine.rules.versions import create_draft, list_versions, validate_definition
from tests.support.assertions import refused_unchanged

ONLINE = {"key": "web", "name": "Web", "effect": {"kind": "fixed_per_transaction", "points": 100},
          "conditions": [{"kind": "channel", "values": ["online"]}]}


def test_a_channel_no_sale_comes_through_is_refused(database, clock):
    with refused_unchanged(database, InvalidInput) as refused:
        create_draft(database, {**ONLINE, "conditions": [{"kind": "channel", "values": ["store", "Online"]}]},
                     now=clock())
    assert [(p.field, p.message) for p in refused.value.problems] == [
        ("conditions[0].values", "must list channels among store, online")]
    assert list_versions(database) == []


def test_the_known_channels_are_taken_as_a_list_and_as_an_exclude_list():
    assert validate_definition(ONLINE) == []
    not_in_shops = {"kind": "channel", "values": ["store"], "exclude": True}
    assert validate_definition({**ONLINE, "conditions": [not_in_shops]}) == []
