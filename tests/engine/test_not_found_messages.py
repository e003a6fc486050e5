"""An unknown key is named in the refusal, but only its first 64 characters."""
from engine.errors import not_found


def test_an_unknown_key_is_named_as_asked_for():
    refusal = not_found("member", "MNOSUCH")
    assert (refusal.message, refusal.code) == ("unknown member 'MNOSUCH'", "unknown_member")


def test_a_very_long_unknown_key_is_cut_to_its_first_64_characters():
    refusal = not_found("list segment", "x" * 5000)
    assert refusal.message == f"unknown list segment '{'x' * 64}…'" and refusal.code == "unknown_list_segment"
