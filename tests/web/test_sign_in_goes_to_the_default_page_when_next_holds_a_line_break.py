"""A sign-in link whose ``next`` holds a control character (a CR or LF, which no Location
header can carry) signs in and goes to the site's home page, on the portal and the console."""
import pytest

from tests.web.conftest import PASSWORD


@pytest.mark.parametrize("target", ["/portal/%0D%0Ax", "/portal/%0Ax", "/portal/x%09y", "/portal/%7F",
                                    "/portal/%C2%85"])
def test_a_member_signing_in_with_a_control_character_in_next_goes_to_the_portals_home(
        browser, member_with_login, target):
    member = member_with_login()
    response = browser.submit(f"/portal/sign-in?next={target}", {"email": member.email, "password": PASSWORD},
                              to=f"/portal/sign-in?next={target}")
    assert (response.status_code, response.headers["Location"]) == (302, "/portal/")


def test_staff_signing_in_with_a_line_break_in_next_go_to_the_consoles_home(browser, staff_with_login):
    name = staff_with_login("support", username="sam")
    response = browser.submit("/console/sign-in", {"username": name, "password": PASSWORD},
                              to="/console/sign-in?next=/console/%0D%0Ax")
    assert (response.status_code, response.headers["Location"]) == (302, "/console/")
