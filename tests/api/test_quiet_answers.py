"""Answers that must not tell whether an address is a member's take the same least time: a
password link and a sign-up wait out QUIET_ANSWER_SECONDS whatever they found (a member's
address writes a link, another writes nothing), and answer alike."""
import pytest

from engine.messages import pending_messages

QUIET = 30.0


@pytest.fixture
def waits(make_app):
    """(the app's test client, the waits it made): an app whose quiet answers take 30 s, far
    longer than any request here takes even on a loaded machine (the waits are recorded, not
    slept: with 0.3 s, a sign-up slowed by a busy CI machine needed no wait, and the test
    counted one wait short)."""
    made: list[float] = []
    app = make_app(QUIET_ANSWER_SECONDS=QUIET, SLEEP=made.append)
    return app.test_client(), made


def test_a_password_link_takes_the_same_least_time_for_a_member_and_for_a_stranger(waits, make_member, database):
    client, made = waits
    member = make_member(email="ada@example.org")
    answers = [client.post("/v1/member/password-links", json={"email": email})
               for email in ("ada@example.org", "nobody@example.org")]
    assert [a.status_code for a in answers] == [202, 202] and answers[0].json == answers[1].json
    assert len(made) == 2 and all(QUIET - 5 < wait <= QUIET for wait in made)
    assert [(m.member_id, m.kind) for m in pending_messages(database)] == [(member.public_id, "password_link")]


def test_a_sign_up_takes_the_least_time_for_a_new_address_and_a_members(waits, make_member):
    client, made = waits
    make_member(email="ada@example.org")
    for email in ("ada@example.org", "grace@example.org"):
        assert client.post("/v1/member/sign-ups", json={"full_name": "Someone", "email": email}).status_code == 202
    assert len(made) == 2 and all(QUIET - 5 < wait <= QUIET for wait in made)
