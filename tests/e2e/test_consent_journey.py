"""The consent hub end to end, in a real browser against the real server: a landlord's client asks for
tenancy and money, the citizen grants only tenancy, the client reads tenancy, gets 403 on money, the
citizen revokes, the client's next read fails. Every consent page passes axe-core's WCAG checks."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session

from tests.builders import DEFAULT_PASSWORD, create_client, create_user
from tests.e2e.conftest import LiveServer, assert_accessible

REDIRECT_URI = "http://127.0.0.1:9/callback"
EMAIL = "consent.e2e@example.org"
SCOPES = "openid vault:tenancy:read vault:money:read"


def _seed(live_server: LiveServer) -> tuple[str, str]:
    with live_server.app_context():
        create_user(email=EMAIL, given_name="Rosa")
        client, secret = create_client(
            "Riverside Homes portal",
            redirect_uris=[REDIRECT_URI],
            scope=SCOPES,
            purpose="To manage your tenancy",
            allowed_modules=["tenancy", "money"],
        )
        return client.client_id, str(secret)


def _sign_in(page: Any, url: str) -> None:
    page.goto(url + "/sign-in")
    page.get_by_label("Email address or mobile phone number").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Your account").wait_for()


def _read(url: str, token: str, module: str) -> int:
    response = requests.get(
        f"{url}/api/v1/vault/modules/{module}/records", headers={"Authorization": f"Bearer {token}"}, timeout=5
    )
    return response.status_code


@pytest.mark.live_server
@pytest.mark.browser
def test_landlord_gets_tenancy_only_until_the_citizen_revokes(live_server: LiveServer, page: Any) -> None:
    client_id, secret = _seed(live_server)
    meta = requests.get(live_server.url + "/.well-known/openid-configuration", timeout=5).json()
    rp = OAuth2Session(client_id, secret, scope=SCOPES, redirect_uri=REDIRECT_URI, code_challenge_method="S256")
    verifier = secrets.token_urlsafe(48)
    authorize_url, _ = rp.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier)
    page.route("http://127.0.0.1:9/**", lambda route: route.fulfill(status=200, body="relying party"))

    _sign_in(page, live_server.url)
    page.goto(authorize_url)
    page.get_by_role("heading", name="Allow Riverside Homes portal to use your account?").wait_for()
    assert "To manage your tenancy" in page.content() and "Landlord" in page.content()
    assert_accessible(page)
    page.get_by_label("Your money – they can see it").uncheck()
    page.get_by_role("button", name="Allow", exact=True).click()
    page.wait_for_url(lambda url: url.startswith(REDIRECT_URI), wait_until="commit")

    token = rp.fetch_token(meta["token_endpoint"], authorization_response=page.url, code_verifier=verifier)
    assert _read(live_server.url, token["access_token"], "tenancy") == 200
    assert _read(live_server.url, token["access_token"], "money") == 403

    page.goto(live_server.url + "/sharing")
    assert "Riverside Homes portal" in page.content()
    assert_accessible(page)
    page.goto(live_server.url + "/sharing/activity")
    assert "Looked at it" in page.content()
    assert_accessible(page)
    page.goto(live_server.url + "/sharing")
    page.get_by_role("link", name="Stop sharing with").click()
    page.get_by_role("button", name="Stop sharing").wait_for()
    assert_accessible(page)
    page.get_by_role("button", name="Stop sharing").click()
    page.get_by_text("can no longer see your information").wait_for()
    assert_accessible(page)

    assert _read(live_server.url, token["access_token"], "tenancy") in (401, 403)


@pytest.mark.live_server
@pytest.mark.browser
def test_organisation_asks_with_a_sharing_code_and_the_citizen_approves(live_server: LiveServer, page: Any) -> None:
    """Access requests: the citizen gives a one-time sharing code, the organisation asks by API with a
    client-credentials token, the citizen approves part of it in the inbox, the organisation polls."""
    email = "requests.e2e@example.org"
    with live_server.app_context():
        create_user(email=email, given_name="Omar")
        client, secret = create_client(
            "Ashdown support service",
            redirect_uris=[],
            grant_types=["client_credentials"],
            scope="access_requests",
            organisation_type="support_agency",
            purpose="To help you with money advice",
            allowed_modules=["money", "benefits"],
        )
        client_id = client.client_id
    page.goto(live_server.url + "/sign-in")
    page.get_by_label("Email address or mobile phone number").fill(email)
    page.get_by_label("Password", exact=True).fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Your account").wait_for()

    page.goto(live_server.url + "/sharing/code")
    assert_accessible(page)
    page.get_by_role("button", name="Get a sharing code").click()
    code = page.locator(".govuk-panel strong").inner_text().strip()
    assert_accessible(page)

    token = requests.post(
        live_server.url + "/oauth2/token",
        data={"grant_type": "client_credentials", "scope": "access_requests"},
        auth=(client_id, str(secret)),
        timeout=5,
    ).json()["access_token"]
    asked = requests.post(
        live_server.url + "/api/v1/access-requests",
        json={"sharing_code": code, "modules": {"money": ["read"], "benefits": ["read"]}},
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    assert asked.status_code == 201, asked.text

    page.goto(live_server.url + "/sharing/requests")
    assert_accessible(page)
    page.get_by_role("link", name="Ashdown support service").click()
    page.get_by_label("Your benefits – they can see it").wait_for()
    assert_accessible(page)
    page.get_by_label("Your benefits – they can see it").uncheck()
    page.get_by_label("Yes, share it").check()
    page.get_by_role("button", name="Send answer").click()
    page.get_by_role("heading", name="Sharing with Ashdown support service organisation").wait_for()
    assert_accessible(page)

    status = requests.get(asked.json()["status_url"], headers={"Authorization": f"Bearer {token}"}, timeout=5).json()
    assert status["status"] == "approved" and status["grant_id"]
