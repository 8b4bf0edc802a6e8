"""A grant's own sign-in check (issue 5): "The effective requirement of a vault call is the strictest of
client, module and grant." The citizen may ask, on the consent page or later on the grant's page, for a
second factor (or passkey) each time the organisation uses the grant, within 15 minutes. Everything here
goes through the real pages, token endpoint and vault API."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import urlencode

from flask.testing import FlaskClient

from clients.step_up import INSUFFICIENT_USER_AUTHENTICATION, parse_bearer_challenge
from consent import services
from consent.receipts import verify_receipt
from idp.accounts.models import User
from idp.authn.levels import ACR_PASSKEY, ACR_PASSWORD, ACR_TWO_FACTOR
from idp.oauth2.access_tokens import issue_access_token
from tests.authn.helpers import complete_step_up, enrol_totp
from tests.oauth.helpers import RP, authorization_params, authorize, exchange, make_rp, redirect_params, signed_in_user
from tests.web_helpers import post_form

TENANCY = "/api/v1/vault/modules/tenancy/records"
HEALTH = "/api/v1/vault/modules/health/records"
OFFER = "Ask for a second factor (or passkey) each time Riverside Homes organisation uses this, within 15 minutes"


def _rp(scope: str = "openid vault:tenancy:read", **policy: Any) -> RP:
    return make_rp(name="Riverside Homes", scope=scope, purpose="To manage your tenancy", **policy)


def _consent(http: FlaskClient, rp: RP, scope: str, step_up: bool) -> dict[str, Any]:
    """Answer the consent page allowing everything, with the sign-in check ticked or not; the tokens."""
    page = authorize(http, rp, scope=scope).get_data(as_text=True)
    fields = dict(re.findall(r'name="(csrf_token|request_id)" value="([^"]+)"', page))
    data: dict[str, Any] = {
        **fields,
        "decision": "allow",
        "scopes": re.findall(r'name="scopes"[^>]*value="([^"]+)"', page),
    }
    if step_up:
        data["step_up"] = "yes"
    decided = http.post("/authorize/consent", data=data)
    code = redirect_params(http.get(decided.headers["Location"]))["code"]
    return exchange(http, rp, code).get_json()  # type: ignore[no-any-return]


def _read(http: FlaskClient, token: str, url: str = TENANCY) -> Any:
    return http.get(url, headers={"Authorization": f"Bearer {token}"})


def _challenge(response: Any) -> dict[str, str]:
    assert response.status_code == 401, response.status_code
    return parse_bearer_challenge(response.headers["WWW-Authenticate"])


def _token_at(user: User, rp: RP, scope: str, acr: str, age_seconds: int = 0) -> str:
    """A token for the citizen's live grant as a later sign-in at ``acr`` would give it."""
    grant = services.live_grant(user.id, rp.client_id)
    assert grant is not None
    return issue_access_token(
        rp.client_id,
        user.id,
        {"openid", scope},
        user_id=user.id,
        auth_time=int(time.time()) - age_seconds,
        acr=acr,
        amr=["pwd"],
        grant_id=grant.id,
    ).token


def _receipts(http: FlaskClient, app: Any, grant_id: str) -> list[dict[str, Any]]:
    page = http.get(f"/sharing/{grant_id}").get_data(as_text=True)
    links = re.findall(r'href="(/sharing/receipts/[^"]+)"', page)
    keys = app.extensions["logbook_keyring"].public_jwks
    return [verify_receipt(http.get(link).get_data(as_text=True), keys) for link in links]


def test_the_consent_page_offers_the_sign_in_check_unticked(client: FlaskClient) -> None:
    signed_in_user(client)
    page = authorize(client, _rp(), scope="openid vault:tenancy:read").get_data(as_text=True)
    checkbox = re.search(r'<input[^>]*name="step_up"[^>]*>', page)
    assert OFFER in page
    assert checkbox is not None and "checked" not in checkbox.group(0)


def test_a_password_only_token_is_challenged_for_the_grants_level(client: FlaskClient) -> None:
    """Tenancy asks for no step-up and neither does the client: the citizen's grant alone raises it."""
    signed_in_user(client)
    tokens = _consent(client, _rp(), "openid vault:tenancy:read", step_up=True)
    challenge = _challenge(_read(client, tokens["access_token"]))
    assert challenge["error"] == INSUFFICIENT_USER_AUTHENTICATION
    assert (challenge["acr_values"], challenge["max_age"]) == (ACR_TWO_FACTOR.value, "900")
    assert "You asked for a stronger sign-in" in challenge["error_description"]


def test_without_the_check_the_same_password_only_token_reads_tenancy(client: FlaskClient) -> None:
    signed_in_user(client)
    tokens = _consent(client, _rp(), "openid vault:tenancy:read", step_up=False)
    assert _read(client, tokens["access_token"]).status_code == 200


def test_after_stepping_up_the_read_succeeds(client: FlaskClient) -> None:
    """The relying party reads the challenge, sends the citizen back with acr_values and max_age, the
    citizen enters an authenticator-app code, and the new token reads tenancy."""
    citizen = signed_in_user(client)
    secret = enrol_totp(citizen)
    rp = _rp()
    tokens = _consent(client, rp, "openid vault:tenancy:read", step_up=True)
    challenge = _challenge(_read(client, tokens["access_token"]))
    params = authorization_params(
        rp, scope="openid vault:tenancy:read", acr_values=challenge["acr_values"], max_age=challenge["max_age"]
    )
    back_at_client = complete_step_up(client, "/authorize?" + urlencode(params), secret)
    stronger = exchange(client, rp, redirect_params(back_at_client)["code"]).get_json()
    assert _read(client, stronger["access_token"]).status_code == 200


def test_a_two_factor_sign_in_older_than_fifteen_minutes_is_challenged_for_the_grant(client: FlaskClient) -> None:
    citizen = signed_in_user(client)
    rp = _rp()
    _consent(client, rp, "openid vault:tenancy:read", step_up=True)
    old = _token_at(citizen, rp, "vault:tenancy:read", ACR_TWO_FACTOR.value, age_seconds=901)
    assert _challenge(_read(client, old))["max_age"] == "900"
    fresh = _token_at(citizen, rp, "vault:tenancy:read", ACR_TWO_FACTOR.value)
    assert _read(client, fresh).status_code == 200


def test_the_module_is_stricter_than_a_grant_without_a_check(client: FlaskClient) -> None:
    """Health asks for a second factor within 15 minutes; a grant that asks nothing does not loosen it."""
    signed_in_user(client)
    tokens = _consent(client, _rp("openid vault:health:read"), "openid vault:health:read", step_up=False)
    challenge = _challenge(_read(client, tokens["access_token"], HEALTH))
    assert (challenge["acr_values"], challenge["max_age"]) == (ACR_TWO_FACTOR.value, "900")
    assert "sensitive information" in challenge["error_description"]


def test_the_grant_is_stricter_than_the_module_and_the_service_on_age(client: FlaskClient) -> None:
    """The strictest of each: the service asks for a passkey but sets no age, the grant asks for 15 minutes,
    so a passkey within 15 minutes is needed."""
    citizen = signed_in_user(client)
    rp = _rp(min_acr=ACR_PASSKEY.value)
    # This service's own sign-in needs a passkey, which the test browser has not got: the citizen's answer
    # is recorded as the consent page would record it.
    prompt = services.missing_consent(citizen, rp.client, {"vault:tenancy:read"})
    assert prompt is not None
    services.record_consent(citizen, rp.client, prompt.decide(prompt.missing, step_up=True))
    old_passkey = _token_at(citizen, rp, "vault:tenancy:read", ACR_PASSKEY.value, age_seconds=901)
    challenge = _challenge(_read(client, old_passkey))
    assert (challenge["acr_values"], challenge["max_age"]) == (ACR_PASSKEY.value, "900")


def test_the_service_is_stricter_than_the_grant_on_age(client: FlaskClient) -> None:
    """The service wants a sign-in within 5 minutes, the grant a second factor within 15: two factors
    within 5 minutes."""
    citizen = signed_in_user(client)
    rp = _rp(max_auth_age=300)
    _consent(client, rp, "openid vault:tenancy:read", step_up=True)
    token = _token_at(citizen, rp, "vault:tenancy:read", ACR_PASSWORD.value)
    challenge = _challenge(_read(client, token))
    assert (challenge["acr_values"], challenge["max_age"]) == (ACR_TWO_FACTOR.value, "300")


def test_the_grant_page_and_dashboard_show_the_check(client: FlaskClient) -> None:
    citizen = signed_in_user(client)
    rp = _rp()
    _consent(client, rp, "openid vault:tenancy:read", step_up=True)
    grant = services.live_grant(citizen.id, rp.client_id)
    assert grant is not None
    shown = "A second factor or passkey each time, within 15 minutes"
    assert shown in client.get(f"/sharing/{grant.id}").get_data(as_text=True)
    assert shown in client.get("/sharing").get_data(as_text=True)


def test_the_receipt_carries_the_check(client: FlaskClient, app: Any) -> None:
    citizen = signed_in_user(client)
    rp = _rp()
    _consent(client, rp, "openid vault:tenancy:read", step_up=True)
    grant = services.live_grant(citizen.id, rp.client_id)
    assert grant is not None
    [receipt] = _receipts(client, app, grant.id)
    assert receipt["grant"]["authenticationRequirement"] == {"acr": ACR_TWO_FACTOR.value, "max_age": 900}


def test_a_receipt_without_the_check_says_so(client: FlaskClient, app: Any) -> None:
    citizen = signed_in_user(client)
    rp = _rp()
    _consent(client, rp, "openid vault:tenancy:read", step_up=False)
    grant = services.live_grant(citizen.id, rp.client_id)
    assert grant is not None
    [receipt] = _receipts(client, app, grant.id)
    assert receipt["grant"]["authenticationRequirement"] is None


def test_turning_the_check_on_later_issues_a_receipt_and_bites_on_the_next_call(client: FlaskClient, app: Any) -> None:
    citizen = signed_in_user(client)
    rp = _rp()
    tokens = _consent(client, rp, "openid vault:tenancy:read", step_up=False)
    grant = services.live_grant(citizen.id, rp.client_id)
    assert grant is not None
    page = f"/sharing/{grant.id}"
    assert post_form(client, f"{page}/sign-in-check", {"step_up-required": "yes"}, page_url=page).status_code == 302
    receipts = _receipts(client, app, grant.id)
    assert [r["event"] for r in receipts] == ["granted", "changed"]
    assert receipts[-1]["grant"]["authenticationRequirement"] == {"acr": ACR_TWO_FACTOR.value, "max_age": 900}
    assert _challenge(_read(client, tokens["access_token"]))["acr_values"] == ACR_TWO_FACTOR.value


def test_turning_the_check_off_issues_a_receipt_and_the_password_token_reads_again(
    client: FlaskClient, app: Any
) -> None:
    citizen = signed_in_user(client)
    rp = _rp()
    tokens = _consent(client, rp, "openid vault:tenancy:read", step_up=True)
    grant = services.live_grant(citizen.id, rp.client_id)
    assert grant is not None
    page = f"/sharing/{grant.id}"
    assert post_form(client, f"{page}/sign-in-check", {"step_up-required": "no"}, page_url=page).status_code == 302
    receipts = _receipts(client, app, grant.id)
    assert [r["event"] for r in receipts] == ["granted", "changed"]
    assert receipts[-1]["grant"]["authenticationRequirement"] is None
    assert _read(client, tokens["access_token"]).status_code == 200


def test_saving_the_same_answer_issues_no_receipt(client: FlaskClient, app: Any) -> None:
    citizen = signed_in_user(client)
    rp = _rp()
    _consent(client, rp, "openid vault:tenancy:read", step_up=True)
    grant = services.live_grant(citizen.id, rp.client_id)
    assert grant is not None
    page = f"/sharing/{grant.id}"
    post_form(client, f"{page}/sign-in-check", {"step_up-required": "yes"}, page_url=page)
    assert [r["event"] for r in _receipts(client, app, grant.id)] == ["granted"]


def test_no_answer_on_the_change_page_is_a_400_with_a_message(client: FlaskClient) -> None:
    citizen = signed_in_user(client)
    rp = _rp()
    _consent(client, rp, "openid vault:tenancy:read", step_up=False)
    grant = services.live_grant(citizen.id, rp.client_id)
    assert grant is not None
    page = f"/sharing/{grant.id}"
    response = post_form(client, f"{page}/sign-in-check", {}, page_url=page)
    assert response.status_code == 400
    assert "Choose whether to ask for a second factor each time" in response.get_data(as_text=True)
