"""The authorization endpoint's rules: sign-in, prompt, max_age, acr, consent, redirect URIs, errors."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from flask import Flask
from flask.testing import FlaskClient

from idp.accounts.models import LoginSession
from idp.authn.levels import ACR_TWO_FACTOR
from idp.database import utcnow
from idp.extensions import db
from tests.oauth.forge import claims_of
from tests.oauth.helpers import REDIRECT_URI, authorize, exchange, make_rp, redirect_params, signed_in_user, tokens_for


def _age_session(seconds: int) -> None:
    login = db.session.query(LoginSession).one()
    login.auth_time = utcnow() - timedelta(seconds=seconds)
    db.session.commit()


def test_not_signed_in_goes_to_sign_in_and_back(app: Flask, client: FlaskClient) -> None:
    """OIDC Core section 3.1.2.3: the Authorization Server MUST attempt to Authenticate the End-User."""
    rp = make_rp(organisation_type="council_service")
    response = authorize(client, rp, login_hint="citizen@example.org")
    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    query = parse_qs(target.query)
    assert target.path == "/sign-in" and query["next"][0].startswith("/authorize?")
    assert query["login_hint"] == ["citizen@example.org"]


def test_prompt_none_without_a_session_is_login_required(app: Flask, client: FlaskClient) -> None:
    """OIDC Core section 3.1.2.6: login_required when prompt=none and the End-User is not authenticated."""
    rp = make_rp(organisation_type="council_service")
    params = redirect_params(authorize(client, rp, prompt="none"))
    assert params["error"] == "login_required" and params["state"] == "state-123" and params["iss"]


def test_prompt_none_with_missing_consent_is_consent_required(app: Flask, client: FlaskClient) -> None:
    rp = make_rp(organisation_type="landlord")
    signed_in_user(client)
    assert redirect_params(authorize(client, rp, prompt="none"))["error"] == "consent_required"


def test_prompt_none_with_other_values_is_invalid(app: Flask, client: FlaskClient) -> None:
    """OIDC Core section 3.1.2.1: if prompt contains none with any other value, an error is returned."""
    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)
    assert redirect_params(authorize(client, rp, prompt="none login"))["error"] == "invalid_request"


def test_prompt_none_with_a_session_issues_a_code_silently(app: Flask, client: FlaskClient) -> None:
    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)
    assert "code" in redirect_params(authorize(client, rp, prompt="none"))


def test_prompt_login_asks_for_a_fresh_sign_in(app: Flask, client: FlaskClient) -> None:
    """OIDC Core section 3.1.2.1: login — the Authorization Server SHOULD prompt for reauthentication."""
    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)
    response = authorize(client, rp, prompt="login")
    assert urlsplit(response.headers["Location"]).path == "/sign-in/step-up"
    assert parse_qs(urlsplit(response.headers["Location"]).query)["max_age"] == ["0"]


def test_session_older_than_max_age_is_sent_to_re_authenticate(app: Flask, client: FlaskClient) -> None:
    """OIDC Core section 3.1.2.1: max_age — if elapsed time is greater, the OP MUST re-authenticate."""
    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)
    _age_session(600)
    response = authorize(client, rp, max_age="60")
    location = urlsplit(response.headers["Location"])
    assert location.path == "/sign-in/step-up" and parse_qs(location.query)["max_age"] == ["60"]


def test_fresh_session_within_max_age_gets_a_code(app: Flask, client: FlaskClient) -> None:
    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)
    assert "code" in redirect_params(authorize(client, rp, max_age="600"))


def test_prompt_none_with_a_stale_session_is_login_required(app: Flask, client: FlaskClient) -> None:
    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)
    _age_session(600)
    assert redirect_params(authorize(client, rp, max_age="60", prompt="none"))["error"] == "login_required"


def test_session_below_requested_acr_is_sent_to_step_up(app: Flask, client: FlaskClient) -> None:
    """DESIGN.md: the authorization endpoint honours acr_values with a step-up."""
    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)
    response = authorize(client, rp, acr_values=ACR_TWO_FACTOR.value)
    location = urlsplit(response.headers["Location"])
    assert location.path == "/sign-in/step-up" and parse_qs(location.query)["acr"] == [ACR_TWO_FACTOR.value]


def test_client_minimum_acr_applies_without_acr_values(app: Flask, client: FlaskClient) -> None:
    rp = make_rp(organisation_type="council_service", min_acr=ACR_TWO_FACTOR.value)
    signed_in_user(client)
    assert urlsplit(authorize(client, rp).headers["Location"]).path == "/sign-in/step-up"


def test_cancelled_step_up_is_unmet_authentication_requirements(app: Flask, client: FlaskClient) -> None:
    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)
    params = redirect_params(authorize(client, rp, acr_values=ACR_TWO_FACTOR.value, step_up="cancelled"))
    assert params["error"] == "unmet_authentication_requirements"


def test_tokens_carry_the_session_acr_amr_and_sid(app: Flask, client: FlaskClient) -> None:
    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)
    body = tokens_for(client, rp)
    login = db.session.query(LoginSession).one()
    claims = claims_of(body["id_token"])
    assert claims["acr"] == login.acr and claims["amr"] == login.amr_list and claims["sid"] == login.id


def test_unregistered_redirect_uri_gets_an_error_page_not_a_redirect(app: Flask, client: FlaskClient) -> None:
    """RFC 6749 section 4.1.2.1: MUST NOT automatically redirect the user-agent to the invalid URI."""
    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)
    response = authorize(client, rp, redirect_uri="https://evil.example.com/callback")
    assert response.status_code == 400 and "Location" not in response.headers


def test_redirect_uri_is_matched_exactly(app: Flask, client: FlaskClient) -> None:
    """RFC 9700 section 4.1.3: exact string matching."""
    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)
    for variant in (REDIRECT_URI + "/", REDIRECT_URI + "?x=1", REDIRECT_URI.upper()):
        assert authorize(client, rp, redirect_uri=variant).status_code == 400


def test_missing_redirect_uri_is_refused(app: Flask, client: FlaskClient) -> None:
    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)
    assert authorize(client, rp, redirect_uri=None).status_code == 400


def test_unknown_client_gets_an_error_page(app: Flask, client: FlaskClient) -> None:
    rp = make_rp(organisation_type="council_service")
    response = authorize(client, rp, client_id="nobody")
    assert response.status_code == 400 and "Location" not in response.headers


def test_implicit_and_hybrid_response_types_are_unsupported(app: Flask, client: FlaskClient) -> None:
    """RFC 9700 section 2.1.2: the implicit grant SHOULD NOT be used."""
    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)
    for response_type in ("token", "id_token", "code id_token", "code token"):
        params = redirect_params(authorize(client, rp, response_type=response_type))
        assert params["error"] == "unsupported_response_type" and params["iss"] == "http://localhost"


def test_duplicated_parameter_is_invalid_request(app: Flask, client: FlaskClient) -> None:
    """RFC 6749 section 3.1: request and response parameters MUST NOT be included more than once."""
    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)
    query = f"response_type=code&client_id={rp.client_id}&scope=openid&scope=email&redirect_uri={REDIRECT_URI}"
    response = client.get("/authorize?" + query)
    assert response.status_code == 400 and "invalid_request" in response.get_data(as_text=True)


def test_unknown_parameters_are_ignored(app: Flask, client: FlaskClient) -> None:
    """RFC 6749 section 3.1: the authorization server MUST ignore unrecognized request parameters."""
    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)
    assert "code" in redirect_params(authorize(client, rp, foo="bar", ui_locales="cy en-GB"))


def test_authorization_request_by_post_works(app: Flask, client: FlaskClient) -> None:
    """OIDC Core section 3.1.2.1: Authorization Servers MUST support GET and POST."""
    from tests.oauth.helpers import authorization_params

    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)
    assert "code" in redirect_params(client.post("/authorize", data=authorization_params(rp)))


def test_invalid_utf8_is_refused_without_a_500(app: Flask, client: FlaskClient) -> None:
    rp = make_rp(organisation_type="council_service")
    response = client.get(f"/authorize?response_type=code&client_id={rp.client_id}&state=%ff%fe")
    assert response.status_code == 400


def test_oversized_parameter_is_refused(app: Flask, client: FlaskClient) -> None:
    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)
    assert authorize(client, rp, state="x" * 5000).status_code == 400


def test_request_objects_are_not_supported(app: Flask, client: FlaskClient) -> None:
    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)
    assert redirect_params(authorize(client, rp, request="e30.e30."))["error"] == "request_not_supported"


def test_first_party_client_skips_the_consent_page(app: Flask, client: FlaskClient) -> None:
    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)
    assert "code" in redirect_params(authorize(client, rp, scope="openid profile email phone address"))


def test_partner_client_shows_a_consent_page_with_scope_checkboxes(app: Flask, client: FlaskClient) -> None:
    rp = make_rp(organisation_type="landlord")
    signed_in_user(client)
    page = authorize(client, rp)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'name="scopes"' in html and 'value="email"' in html


def _consent(client: FlaskClient, rp, decision: str, scopes: list[str]):  # type: ignore[no-untyped-def]
    html = authorize(client, rp).get_data(as_text=True)
    request_id = re.search(r'name="request_id" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    data = {"csrf_token": token, "request_id": request_id, "decision": decision, "scopes": scopes}
    return client.post("/authorize/consent", data=data), request_id, token


def test_consent_allow_resumes_the_request_with_the_ticked_scopes(app: Flask, client: FlaskClient) -> None:
    rp = make_rp(organisation_type="landlord")
    signed_in_user(client)
    response, _, _ = _consent(client, rp, "allow", ["profile"])
    resumed = client.get(response.headers["Location"])
    code = redirect_params(resumed)["code"]
    body = exchange(client, rp, code).get_json()
    assert set(body["scope"].split()) == {"openid", "profile"}


def test_consent_deny_is_access_denied(app: Flask, client: FlaskClient) -> None:
    """RFC 6749 section 4.1.2.1: access_denied — the resource owner denied the request."""
    rp = make_rp(organisation_type="landlord")
    signed_in_user(client)
    response, _, _ = _consent(client, rp, "deny", [])
    params = redirect_params(response)
    assert params["error"] == "access_denied" and params["state"] == "state-123" and params["iss"]


def test_consent_post_cannot_be_replayed(app: Flask, client: FlaskClient) -> None:
    rp = make_rp(organisation_type="landlord")
    signed_in_user(client)
    _, request_id, token = _consent(client, rp, "allow", ["profile"])
    data = {"csrf_token": token, "request_id": request_id, "decision": "allow", "scopes": ["email"]}
    assert client.post("/authorize/consent", data=data).status_code == 400


def test_consent_post_for_an_unknown_request_is_refused(app: Flask, client: FlaskClient) -> None:
    rp = make_rp(organisation_type="landlord")
    signed_in_user(client)
    html = authorize(client, rp).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    data = {"csrf_token": token, "request_id": "forged", "decision": "allow", "scopes": ["email"]}
    assert client.post("/authorize/consent", data=data).status_code == 400


def test_consent_is_remembered(app: Flask, client: FlaskClient) -> None:
    rp = make_rp(organisation_type="landlord")
    signed_in_user(client)
    response, _, _ = _consent(client, rp, "allow", ["profile", "email"])
    assert "code" in redirect_params(authorize(client, rp))


def test_prompt_consent_asks_again(app: Flask, client: FlaskClient) -> None:
    """OIDC Core section 3.1.2.1: consent — the Authorization Server SHOULD prompt for consent."""
    rp = make_rp(organisation_type="landlord")
    signed_in_user(client)
    _consent(client, rp, "allow", ["profile", "email"])
    page = authorize(client, rp, prompt="consent")
    assert page.status_code == 200 and 'name="scopes"' in page.get_data(as_text=True)


def test_non_numeric_max_age_is_invalid_request(app: Flask, client: FlaskClient) -> None:
    """OIDC Core section 3.1.2.1: max_age is a number of seconds."""
    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)
    assert redirect_params(authorize(client, rp, max_age="soon"))["error"] == "invalid_request"


def test_unknown_prompt_value_is_invalid_request(app: Flask, client: FlaskClient) -> None:
    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)
    assert redirect_params(authorize(client, rp, prompt="sideways"))["error"] == "invalid_request"


def test_fragment_response_mode_is_refused(app: Flask, client: FlaskClient) -> None:
    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)
    assert redirect_params(authorize(client, rp, response_mode="fragment"))["error"] == "invalid_request"


def test_prompt_login_completes_after_re_entering_the_password(app: Flask, client: FlaskClient) -> None:
    """OIDC Core section 3.1.2.1 prompt=login, through the real step-up pages, ends with a code whose
    auth_time is the new authentication."""
    from tests.builders import DEFAULT_PASSWORD
    from tests.web_helpers import post_form

    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)
    _age_session(120)
    response = authorize(client, rp, prompt="login")
    for _ in range(5):  # follow the step-up pages until the browser is sent back to the client
        location = response.headers["Location"]
        if location.startswith(REDIRECT_URI):
            break
        if "/sign-in/step-up/password" in location:
            response = post_form(client, location, {"password": DEFAULT_PASSWORD})
        else:
            response = client.get(location)
    code = redirect_params(response)["code"]
    claims = claims_of(exchange(client, rp, code).get_json()["id_token"])
    login = db.session.query(LoginSession).one()
    assert claims["auth_time"] == int(login.auth_time.timestamp()) and utcnow().timestamp() - claims["auth_time"] < 60


def test_prompt_none_below_the_requested_acr_is_interaction_required(app: Flask, client: FlaskClient) -> None:
    """OIDC Core section 3.1.2.6: interaction_required when prompt=none cannot proceed without the End-User."""
    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)
    params = redirect_params(authorize(client, rp, prompt="none", acr_values=ACR_TWO_FACTOR.value))
    assert params["error"] == "interaction_required"
