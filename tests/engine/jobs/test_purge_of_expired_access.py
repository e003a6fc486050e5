
import sqlalchemy as sa

from engine.access.staff import create_staff_account, sign_in_staff
from engine.access.passwords import Passwords
from engine.card_auth import issue_card_challenge
from engine.jobs.runs import run_job
from engine.orm.access import AccessTokenRow, CardChallengeRow

PASSWORDS = Passwords.cheap()


def counts(database):
    with database.transaction() as session:
        return (session.scalar(sa.select(sa.func.count()).select_from(AccessTokenRow)),
                session.scalar(sa.select(sa.func.count()).select_from(CardChallengeRow)))


def test_the_purge_job_forgets_tokens_and_challenges_a_day_after_they_expired(database, clock, make_card,
                                                                            make_terminal):
    terminal = make_terminal()
    create_staff_account(database, username="ann", full_name="Ann", password="long enough password",
                         roles=["support"], passwords=PASSWORDS, now=clock())
    sign_in_staff(database, username="ann", password="long enough password", passwords=PASSWORDS, now=clock())
    issue_card_challenge(database, terminal_code=terminal.code, card_number=make_card().number, now=clock())
    clock.advance(hours=8, minutes=30)  # the token (8 h) and the challenge (60 s) have expired
    sign_in_staff(database, username="ann", password="long enough password", passwords=PASSWORDS, now=clock())
    issue_card_challenge(database, terminal_code=terminal.code, card_number=make_card().number, now=clock())
    run_job(database, "purge_keys", as_of=clock(), now=clock(), worker="tests")
    assert counts(database) == (2, 2)  # expired less than a day ago: kept for now
    clock.advance(days=1)
    [run] = run_job(database, "purge_keys", as_of=clock(), now=clock(), worker="tests")
    assert counts(database) == (1, 1)  # only the second sign-in is still within a day of expiring
    assert (run.summary["tokens"], run.summary["card_challenges"]) == (1, 1)
