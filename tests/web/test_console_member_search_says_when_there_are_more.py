"""A search by name that matches more members than the page lists says so, and how to narrow
it; one that lists every match says nothing of more."""
from tests.web.conftest import text_of


def test_a_name_shared_by_more_members_than_the_page_lists_says_there_are_more(console_as, make_member):
    for n in range(22):
        make_member(f"Jo Sample{n:02d} Quux")
    page = text_of(console_as("support").get("/console/members?q=quux"))
    assert page.count("Jo Sample") == 20
    assert "More than 20 members match “quux”: these are the first 20. To find someone else, type more of the " \
           "name, or their member id, e-mail address or card number." in page


def test_a_search_listing_every_match_says_nothing_of_more(console_as, make_member):
    for n in range(20):
        make_member(f"Jo Sample{n:02d} Quux")
    page = text_of(console_as("support").get("/console/members?q=quux"))
    assert page.count("Jo Sample") == 20 and "More than" not in page
