from argon2 import PasswordHasher

from engine.access.passwords import Passwords, password_problems, pin_problems

CHEAP = Passwords.cheap()


def test_a_password_is_stored_as_a_salted_argon2id_hash():
    first, second = CHEAP.hash("correct horse battery"), CHEAP.hash("correct horse battery")
    assert first.startswith("$argon2id$v=19$")
    assert "correct horse" not in first
    assert first != second


def test_verify_accepts_the_right_secret_and_refuses_others():
    stored = CHEAP.hash("correct horse battery")
    assert CHEAP.verify(stored, "correct horse battery")
    assert not CHEAP.verify(stored, "correct horse batterY")
    assert not CHEAP.verify(None, "correct horse battery")
    assert not CHEAP.verify("not a hash", "correct horse battery")
    assert not CHEAP.verify(stored, None)


def test_a_hash_made_with_weaker_parameters_needs_rehashing():
    strong = Passwords(PasswordHasher(time_cost=2, memory_cost=16, parallelism=1))
    weak_hash = CHEAP.hash("correct horse battery")
    assert strong.needs_rehash(weak_hash)
    assert not strong.needs_rehash(strong.hash("correct horse battery"))
    assert strong.verify(weak_hash, "correct horse battery")


def test_the_decoy_hash_matches_nothing_typed():
    assert not CHEAP.verify(CHEAP.decoy_hash, "")
    assert CHEAP.decoy_hash.startswith("$argon2id$")


def test_a_new_password_must_be_ten_to_two_hundred_characters():
    assert password_problems("x" * 10) == [] and password_problems("x" * 200) == []
    assert [p.field for p in password_problems("x" * 9)] == ["password"]
    assert [p.field for p in password_problems("x" * 201)] == ["password"]
    assert [p.field for p in password_problems(None, field_name="new_password")] == ["new_password"]


def test_a_pin_is_four_or_six_ascii_digits():
    assert pin_problems("4711") == [] and pin_problems("123456") == []
    for wrong in ("471", "12345", "1234567", "12a4", "١٢٣٤", 4711, None, ""):
        assert [p.field for p in pin_problems(wrong)] == ["pin"], wrong
