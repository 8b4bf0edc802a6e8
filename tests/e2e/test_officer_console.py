"""The officer console in a real browser: a client administrator registers a service, an officer creates
an account with a printed letter, records an identity check and acts alongside a citizen who reads out a
help code, the citizen sees it all, an auditor reads the trail, a role administrator gives a colleague a role.
Staff sign in with a password and an authenticator-app code, as staff pages demand. Every page visited
passes axe-core."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest

from idp.officers.roles import grant_role
from tests.authn.helpers import enrol_totp
from tests.builders import DEFAULT_PASSWORD, create_user
from tests.consent.helpers import landlord_client
from tests.e2e.conftest import LiveServer, assert_accessible

# One account per test: an authenticator-app code is accepted once, and tests may run within one 30 s step.
STAFF = {
    "client_admin": "admin.e2e@council.example.org",
    "officer": "officer.e2e@council.example.org",
    "helper": "helper.e2e@council.example.org",
    "role_admin": "roles.e2e@council.example.org",
    "sharer": "sharer.e2e@council.example.org",
}
ROLE_OF = {"helper": "officer", "sharer": "officer"}
AUDITOR = "auditor.e2e@council.example.org"
CITIZEN = "citizen.e2e@example.org"
COLLEAGUE = "new.colleague.e2e@council.example.org"
SHARING_CITIZEN = "sharing.citizen.e2e@example.org"
SERVICE = "Hillside Lettings portal"
SECRETS: dict[str, str] = {}


@pytest.fixture(scope="module")
def seeded(live_server: LiveServer) -> LiveServer:
    with live_server.app_context():
        for key, email in [*STAFF.items(), ("auditor", AUDITOR)]:
            role = ROLE_OF.get(key, key)
            staff = create_user(email=email, given_name="Sam", family_name=key.title())
            grant_role(staff, role, by=None)
            SECRETS[email] = enrol_totp(staff)
        create_user(email=CITIZEN, given_name="Rosa", family_name="Lane")
        create_user(email=COLLEAGUE, given_name="Jo", family_name="Patel")
        create_user(email=SHARING_CITIZEN, given_name="Bea", family_name="Moss")
        landlord_client(name=SERVICE)
    return live_server


@pytest.fixture
def second_page(browser: Any) -> Iterator[Any]:
    """Another browser (no shared cookies): the citizen's own device while the officer works."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def _sign_in(page: Any, url: str, email: str) -> None:
    page.goto(url + "/sign-in")
    page.get_by_label("Email address or mobile phone number").fill(email)
    page.get_by_label("Password", exact=True).fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if email in SECRETS:  # staff: the second factor, which staff pages require
        page.get_by_role("heading", name="Confirm it is you").wait_for()
        assert_accessible(page)
        page.get_by_label("Enter the 6-digit code from your authenticator app").fill(pyotp.TOTP(SECRETS[email]).now())
        page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Your account").wait_for()


def _visit(page: Any, url: str, heading: str) -> None:
    page.goto(url)
    page.get_by_role("heading", name=heading).first.wait_for()
    assert_accessible(page)


@pytest.mark.live_server
@pytest.mark.browser
def test_a_client_administrator_registers_a_service(seeded: LiveServer, page: Any) -> None:
    url = seeded.url
    _sign_in(page, url, STAFF["client_admin"])
    _visit(page, url + "/admin", "Organisations and their services")
    page.get_by_role("link", name="Add an organisation").click()
    page.get_by_label("Name of the organisation").fill("Riverside Homes")
    page.get_by_label("Landlord").check()
    assert_accessible(page)
    page.get_by_role("button", name="Add organisation").click()
    page.get_by_role("heading", name="Riverside Homes").wait_for()
    assert_accessible(page)
    page.get_by_role("link", name="Register a service").click()
    page.get_by_label("Service name").fill("Repairs portal")
    page.get_by_label("Purpose").fill("To book repairs to your home")
    page.get_by_label("Redirect URIs", exact=True).fill("http://repairs.example.org/callback")
    page.get_by_label("Contact email address").fill("it@riverside.example.org")
    page.get_by_role("button", name="Register service").click()
    page.get_by_text("Redirect URIs: 'http://repairs.example.org/callback' must use https").first.wait_for()
    assert_accessible(page)  # the error summary and the field's inline error
    page.get_by_label("Redirect URIs", exact=True).fill("https://repairs.example.org/callback")
    page.get_by_role("button", name="Register service").click()
    page.get_by_role("heading", name="Service registered").wait_for()
    assert page.locator("#client-secret").inner_text()
    assert_accessible(page)
    page.get_by_role("link", name="Go to Repairs portal").click()
    page.get_by_role("heading", name="Repairs portal").wait_for()
    assert_accessible(page)


@pytest.mark.live_server
@pytest.mark.browser
def test_an_officer_creates_an_account_with_a_letter_the_citizen_activates(seeded: LiveServer, page: Any) -> None:
    url = seeded.url
    _sign_in(page, url, STAFF["officer"])
    _visit(page, url + "/officers", "Find a citizen's account")
    page.get_by_role("link", name="Create an account for a citizen").click()
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Okafor")
    page.get_by_label("Date of birth").fill("14/02/1961")
    page.get_by_label("Postcode").fill("LE1 5WS")
    page.get_by_label("Email address or mobile number").fill("ada.e2e@example.org")
    page.get_by_label("Print an activation letter to hand over or post").check()
    assert_accessible(page)
    page.get_by_role("button", name="Create account").click()
    page.get_by_role("heading", name="Activate your Logbook account").wait_for()
    assert_accessible(page)
    code = page.locator("#activation-code").inner_text()

    page.goto(url + "/sign-out")
    page.get_by_role("button", name=re.compile("Sign out")).first.click()
    _visit(page, url + "/activate", "Activate your account")
    page.get_by_label("Email address or mobile number").fill("ada.e2e@example.org")
    page.get_by_label("Activation code").fill(code)
    page.get_by_label("Choose a password").fill(DEFAULT_PASSWORD)
    page.get_by_label("Confirm your password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Activate account").click()
    page.get_by_text("Your account is ready").wait_for()


@pytest.mark.live_server
@pytest.mark.browser
def test_an_officer_acts_alongside_a_citizen_who_reads_out_a_code(
    seeded: LiveServer, page: Any, second_page: Any
) -> None:
    url = seeded.url
    _sign_in(second_page, url, CITIZEN)
    _visit(second_page, url + "/account/help-code", "Get help from a council officer")
    second_page.get_by_role("button", name="Show a help code").click()
    code = second_page.locator("#help-code").inner_text()
    assert_accessible(second_page)

    _sign_in(page, url, STAFF["helper"])
    page.goto(url + "/officers")
    page.get_by_label("Email address or mobile number").fill(CITIZEN)
    page.get_by_role("button", name="Search by contact").click()
    page.get_by_role("heading", name="Rosa Lane").wait_for()
    assert_accessible(page)
    page.get_by_label("Help code").fill(code)
    page.get_by_role("button", name="Start helping").click()
    page.get_by_text("The citizen has let you act alongside them").first.wait_for()
    assert_accessible(page)
    page.get_by_role("link", name="Record an in-person identity check").click()
    page.get_by_label("Passport").check()
    for label, value in [
        ("First name", "Rosa"),
        ("Last name", "Lane"),
        ("Date of birth", "02/09/1975"),
        ("Postcode", "LE2 7AB"),
    ]:
        page.get_by_label(label).fill(value)
    assert_accessible(page)
    page.get_by_role("button", name="Record identity check").click()
    page.get_by_text("Identity check recorded").wait_for()
    assert_accessible(page)

    _visit(second_page, url + "/account/activity", "What council staff did on your account")
    content = second_page.content()
    assert "Started helping you, with the code you read out" in content
    assert "Checked your identity documents in person" in content


@pytest.mark.live_server
@pytest.mark.browser
def test_an_auditor_reads_the_trail(seeded: LiveServer, page: Any) -> None:
    _sign_in(page, seeded.url, AUDITOR)
    _visit(page, seeded.url + "/audit-trail", "Audit trail")
    assert "The hash chain is intact" in page.content()


@pytest.mark.live_server
@pytest.mark.browser
def test_a_role_administrator_gives_a_colleague_a_role(seeded: LiveServer, page: Any) -> None:
    url = seeded.url
    _sign_in(page, url, STAFF["role_admin"])
    _visit(page, url + "/staff", "Staff roles")
    page.get_by_label("Email address or mobile number").fill(COLLEAGUE)
    page.get_by_role("button", name="Find account").click()
    page.get_by_role("heading", name="Jo Patel").wait_for()
    assert_accessible(page)
    page.get_by_label("Auditor").check()
    page.get_by_role("button", name="Save roles").click()
    page.get_by_text("Jo Patel now holds auditor.").wait_for()
    assert_accessible(page)
    page.get_by_role("link", name="Staff roles").first.click()
    page.get_by_role("heading", name="Staff roles").wait_for()
    assert COLLEAGUE in page.inner_text("main")


@pytest.mark.live_server
@pytest.mark.browser
def test_an_officer_helps_a_citizen_share_with_a_service(seeded: LiveServer, page: Any, second_page: Any) -> None:
    """Assisted consent: the grant is given with the officer alongside, and the citizen's dashboard says so."""
    url = seeded.url
    _sign_in(second_page, url, SHARING_CITIZEN)
    second_page.goto(url + "/account/help-code")
    second_page.get_by_role("button", name="Show a help code").click()
    code = second_page.locator("#help-code").inner_text()

    _sign_in(page, url, STAFF["sharer"])
    page.goto(url + "/officers")
    page.get_by_label("Email address or mobile number").fill(SHARING_CITIZEN)
    page.get_by_role("button", name="Search by contact").click()
    page.get_by_label("Help code").fill(code)
    page.get_by_role("button", name="Start helping").click()
    page.get_by_role("link", name="Share the citizen's information with a service").click()
    page.get_by_role("heading", name="Which service does the citizen want to share information with?").wait_for()
    assert_accessible(page)
    page.get_by_role("link", name=SERVICE).click()
    page.locator('input[value="vault:tenancy:read"]').check()
    page.get_by_label("1 month").check()
    page.get_by_role("button", name="Share").click()
    page.get_by_text("Confirm that the citizen has heard what will be shared and agrees").first.wait_for()
    assert_accessible(page)  # the error summary and the field's inline error
    page.get_by_label("The citizen has heard what will be shared, with whom and why, and agrees").check()
    page.get_by_role("button", name="Share").click()
    page.get_by_text("The citizen is now sharing information with").first.wait_for()
    assert_accessible(page)

    _visit(second_page, url + "/sharing", "Who can see my data")
    assert "Given with help from Sam Sharer at" in second_page.content()
