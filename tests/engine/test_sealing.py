"""Sealing a secret: AES-256-GCM under the newest data key, bound to its column's purpose;
what cannot be opened is refused, never read as the secret; without keys, text stays as it is."""
import pytest

from engine.sealing import DataKeys, SealedValueError, is_sealed_with_newest, seal, unseal, use_data_keys

ONE = DataKeys({1: bytes(range(32))})
TWO = DataKeys({1: bytes(range(32)), 2: bytes(range(32, 64))})


def test_a_sealed_secret_opens_to_itself_and_shows_nothing_of_it():
    use_data_keys(ONE)
    sealed = seal("whsec_abcdef", "webhook signing secret")
    assert sealed.startswith("sealed:v1:1:") and "abcdef" not in sealed
    assert sealed != seal("whsec_abcdef", "webhook signing secret")  # a new nonce each time
    assert unseal(sealed, "webhook signing secret") == "whsec_abcdef"


def test_a_value_sealed_for_one_column_does_not_open_in_another():
    use_data_keys(ONE)
    sealed = seal("JBSWY3DPEHPK3PXP", "authenticator secret")
    with pytest.raises(SealedValueError, match="sealed for another column"):
        unseal(sealed, "terminal signing key")


def test_an_altered_value_is_refused():
    use_data_keys(ONE)
    sealed = seal("secret", "terminal signing key")
    altered = sealed[:-6] + ("AAAA" if not sealed[-6:-2] == "AAAA" else "BBBB") + sealed[-2:]
    with pytest.raises(SealedValueError, match="does not open"):
        unseal(altered, "terminal signing key")


def test_a_value_sealed_with_a_key_version_not_configured_names_the_version():
    use_data_keys(TWO)
    sealed = seal("secret", "terminal signing key")
    assert sealed.startswith("sealed:v1:2:")
    use_data_keys(ONE)
    with pytest.raises(SealedValueError, match="data key version 2, which is not configured"):
        unseal(sealed, "terminal signing key")
    use_data_keys(None)
    with pytest.raises(SealedValueError, match="LOYALTY_DATA_KEYS"):
        unseal(sealed, "terminal signing key")


def test_older_versions_still_open_and_count_as_stale():
    use_data_keys(ONE)
    old = seal("secret", "terminal signing key")
    use_data_keys(TWO)
    assert unseal(old, "terminal signing key") == "secret"
    assert not is_sealed_with_newest(old) and not is_sealed_with_newest("plain text")
    assert is_sealed_with_newest(seal("secret", "terminal signing key"))


def test_without_data_keys_text_is_written_and_read_as_it_is():
    use_data_keys(None)
    assert seal("secret", "terminal signing key") == "secret"
    assert unseal("secret", "terminal signing key") == "secret"
    assert is_sealed_with_newest("secret")


@pytest.mark.parametrize("text", ["1:" + "11" * 16, "0:" + "11" * 32, "1:" + "zz" * 32, "x"])
def test_data_keys_that_cannot_be_read_are_refused_with_a_message(text):
    with pytest.raises(ValueError, match="key"):
        DataKeys.parse(text)
