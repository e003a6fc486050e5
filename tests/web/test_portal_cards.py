from engine.cards import get_card
from tests.web.conftest import text_of


def test_my_card_is_lost_asks_for_confirmation_before_blocking(browser, member_with_login, make_card, database):
    member = member_with_login()
    card = make_card(member)
    browser.sign_in(member.email)
    assert f'href="/portal/cards/{card.number}/lost"' in browser.get("/portal/").get_data(True)
    confirm = browser.get(f"/portal/cards/{card.number}/lost")
    assert confirm.status_code == 200 and f"Block the card ending {card.number[-4:]}?" in text_of(confirm)
    assert get_card(database, card.number).status == "active"


def test_confirming_blocks_the_card_at_once_and_says_the_points_are_safe(browser, member_with_login, make_card,
                                                                        database):
    member = member_with_login(points=70)
    card = make_card(member)
    browser.sign_in(member.email)
    response = browser.submit(f"/portal/cards/{card.number}/lost", {})
    assert response.status_code == 302 and response.headers["Location"] == "/portal/"
    blocked = get_card(database, card.number)
    assert (blocked.status, blocked.block_reason) == ("blocked", "lost")
    page = text_of(browser.get("/portal/"))
    assert f"The card ending {card.number[-4:]} is blocked." in page and "your points are safe" in page
    assert "Points you can spend now 70" in page
    assert "My card is lost" not in page and f"Card ending {card.number[-4:]} · Blocked" in page


def test_a_card_that_is_not_active_cannot_be_blocked_again(browser, member_with_login, make_card, database):
    member = member_with_login()
    card = make_card(member, status="blocked")
    browser.sign_in(member.email)
    response = browser.submit("/portal/", {}, to=f"/portal/cards/{card.number}/lost")
    assert response.status_code == 302
    assert "there is nothing to block" in text_of(browser.get("/portal/"))


def test_only_active_cards_have_the_lost_button_and_retired_cards_are_not_listed(browser, member_with_login,
                                                                                 make_card):
    member = member_with_login()
    active, issued, retired = (make_card(member, status=s) for s in ("active", "issued", "retired"))
    browser.sign_in(member.email)
    page = browser.get("/portal/").get_data(True)
    assert page.count("My card is lost") == 1 and f"/portal/cards/{active.number}/lost" in page
    assert f"Card ending <strong>{issued.number[-4:]}</strong>" in page and "Not activated yet" in page
    assert f"Card ending <strong>{retired.number[-4:]}</strong>" not in page
