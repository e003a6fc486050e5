"""With data keys configured, the secrets the service reads back are stored sealed: a copy
of the database holds no terminal signing key, authenticator secret or webhook secret, and
each still works; those stored before the keys, or under an older key, are sealed again by
``seal_stored_secrets``, once."""
import json
import pyotp
import sqlalchemy as sa

from engine import stores, webhooks
from engine.access import authenticators
from engine.access.passwords import Passwords
from engine.access.staff import create_staff_account, sign_in_staff
from engine.access.terminal_keys import issue_terminal_key, signing_key
from engine.stored_secrets import seal_stored_secrets, unopened_secrets
from engine.sealing import DataKeys, use_data_keys
from tests.support.webhook_receiver import public_resolver

KEYS = DataKeys({1: bytes(range(32))})
PASSWORDS = Passwords.cheap()
STORED = {"terminal_credentials.secret": "SELECT secret FROM terminal_credentials",
          "staff_accounts.totp_secret": "SELECT totp_secret FROM staff_accounts WHERE totp_secret IS NOT NULL",
          "webhook_endpoints.secret": "SELECT secret FROM webhook_endpoints"}


def stored(database) -> dict[str, list[str]]:
    """What a copy of the database shows of each secret."""
    with database.transaction() as session:
        return {column: list(session.scalars(sa.text(query))) for column, query in STORED.items()}


def make_secrets(database, clock) -> dict[str, str]:
    """A terminal key, a staff member's authenticator and a webhook endpoint: their secrets."""
    stores.create_store(database, code="S1", name="Store 1", timezone="Europe/Berlin", now=clock())
    stores.create_terminal(database, code="S1-T1", store_code="S1", now=clock())
    key = issue_terminal_key(database, "S1-T1", now=clock())
    create_staff_account(database, username="ada", full_name="Ada", password="correct horse battery",
                         roles=["admin"], passwords=PASSWORDS, now=clock())
    enrolment = authenticators.start_enrolment(database, "ada", now=clock())
    authenticators.confirm_enrolment(database, "ada", pyotp.TOTP(enrolment.secret).at(clock()), now=clock())
    endpoint = webhooks.add_endpoint(database, url="https://crm.example.com/hooks", kinds=["member.enrolled"],
                                     actor="ada", now=clock(), allowed_private=frozenset(), resolver=public_resolver)
    return {"terminal_credentials.secret": key.secret, "staff_accounts.totp_secret": enrolment.secret,
            "webhook_endpoints.secret": endpoint.secret, "key_id": key.key_id}


def still_work(database, clock, made: dict[str, str]) -> None:
    assert signing_key(database, made["key_id"]).secret == made["terminal_credentials.secret"]
    later = clock.advance(minutes=1)  # a code is taken once: each check signs in with a new one
    assert sign_in_staff(database, username="ada", password="correct horse battery", passwords=PASSWORDS, now=later,
                         code=pyotp.TOTP(made["staff_accounts.totp_secret"]).at(later)).token
    sent = []
    webhooks.send_test_event(database, webhooks.list_endpoints(database)[0].id, now=clock())
    webhooks.deliver_webhooks(database, now=clock(), allowed_private=frozenset(), resolver=public_resolver,
                              send=lambda url, address, body, headers: sent.append((body, headers)) or 200)
    [(body, headers)] = sent
    assert webhooks.signature_matches(made["webhook_endpoints.secret"], headers["Loyalty-Signature"], body, now=clock())


def test_with_data_keys_no_secret_is_stored_as_it_is_and_each_still_works(database, clock):
    use_data_keys(KEYS)
    made = make_secrets(database, clock)
    for column, values in stored(database).items():
        assert len(values) == 1 and values[0].startswith("sealed:v1:1:"), column
        assert made[column] not in values[0]
    still_work(database, clock, made)


def test_secrets_stored_before_the_keys_are_sealed_once_and_still_work(database, clock):
    made = make_secrets(database, clock)  # no data keys yet: stored as they are
    assert stored(database) == {column: [made[column]] for column in STORED}
    use_data_keys(KEYS)
    still_work(database, clock, made)  # read as they are until sealed
    assert seal_stored_secrets(database) == {"staff_accounts.totp_secret": 1, "staff_accounts.totp_pending": 0,
                                             "terminal_credentials.secret": 1, "webhook_endpoints.secret": 1}
    assert all(v.startswith("sealed:v1:1:") for values in stored(database).values() for v in values)
    assert set(seal_stored_secrets(database).values()) == {0}
    still_work(database, clock, made)


def test_a_new_data_key_version_takes_over_after_sealing_again(database, clock):
    use_data_keys(KEYS)
    made = make_secrets(database, clock)
    use_data_keys(DataKeys({**KEYS.by_version, 2: bytes(range(32, 64))}))
    still_work(database, clock, made)  # the old version still opens them
    assert sum(seal_stored_secrets(database).values()) == 3
    assert all(v.startswith("sealed:v1:2:") for values in stored(database).values() for v in values)
    use_data_keys(DataKeys({2: bytes(range(32, 64))}))  # version 1 retired
    still_work(database, clock, made)
    assert json.dumps(stored(database)).count("sealed:v1:2:") == 3


def test_secrets_that_the_configured_keys_do_not_open_are_named_by_column(database, clock):
    use_data_keys(KEYS)
    make_secrets(database, clock)
    assert unopened_secrets(database) == []
    use_data_keys(DataKeys({2: bytes(range(32, 64))}))  # a process started with another key file
    problems = unopened_secrets(database)
    assert sorted(p.split(":")[0] for p in problems) == ["staff_accounts.totp_secret", "terminal_credentials.secret",
                                                         "webhook_endpoints.secret"]
    assert all("1 values do not open" in p and "version 1, which is not configured" in p for p in problems)
