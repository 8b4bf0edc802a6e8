"""The authorization endpoint's outcomes for ``acr_values`` and ``max_age``, followed to the tokens.

Issue 5: "a requested level the person can reach triggers the second factor; one they cannot reach returns
``unmet_authentication_requirements``, never a token with a lower level", and "``max_age``
(re-authentication when older)"."""

from __future__ import annotations

import re
import time
from html import unescape
from urllib.parse import urlencode, urlsplit

from flask import Flask
from flask.testing import FlaskClient

from idp.authn.levels import ACR_PASSKEY, ACR_PASSWORD, ACR_TWO_FACTOR, IDENTITY_VERIFIED_IN_PERSON
from tests.authn.helpers import age_session, complete_step_up, enrol_totp, sign_in_with_code
from tests.builders import create_user
from tests.oauth.forge import claims_of
from tests.oauth.helpers import authorization_params, authorize, exchange, make_rp, redirect_params, signed_in_user


def _id_token_after(client: FlaskClient, rp: object, back_at_client: object) -> dict[str, object]:
    code = redirect_params(back_at_client)["code"]  # type: ignore[arg-type]
    return claims_of(exchange(client, rp, code).get_json()["id_token"])  # type: ignore[arg-type]


def test_a_level_the_person_can_reach_asks_for_the_second_factor_and_the_token_carries_it(
    app: Flask, client: FlaskClient
) -> None:
    rp = make_rp(organisation_type="council_service")
    user = signed_in_user(client)  # with the password only
    secret = enrol_totp(user)
    url = "/authorize?" + urlencode(authorization_params(rp, acr_values=ACR_TWO_FACTOR.value))
    claims = _id_token_after(client, rp, complete_step_up(client, url, secret))
    assert claims["acr"] == ACR_TWO_FACTOR.value and claims["amr"] == ["pwd", "otp"]


def test_a_level_the_person_cannot_reach_ends_in_unmet_authentication_requirements(
    app: Flask, client: FlaskClient
) -> None:
    """Never a token with a lower level: the person is told what is missing, and cancelling answers the
    relying party with the error (OpenID Connect Core errata / EAP ACR values)."""
    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)  # no second factor at all
    step_up = authorize(client, rp, acr_values=ACR_TWO_FACTOR.value)
    explained = client.get(step_up.headers["Location"])
    assert explained.status_code == 403 and "You need a stronger way to sign in" in explained.get_data(as_text=True)
    cancel = unescape(re.search(r'href="([^"]+)">Cancel', explained.get_data(as_text=True)).group(1))  # type: ignore[union-attr]
    answer = redirect_params(client.get(cancel))
    assert answer["error"] == "unmet_authentication_requirements" and "code" not in answer
    assert answer["state"] == "state-123"


def test_a_passkey_level_is_unreachable_with_an_authenticator_app_alone(app: Flask, client: FlaskClient) -> None:
    rp = make_rp(organisation_type="council_service")
    user = signed_in_user(client)
    enrol_totp(user)
    explained = client.get(authorize(client, rp, acr_values=ACR_PASSKEY.value).headers["Location"])
    assert explained.status_code == 403 and "You have not set up a passkey yet" in explained.get_data(as_text=True)


def test_any_one_of_several_acr_values_will_do(app: Flask, client: FlaskClient) -> None:
    """OIDC Core section 3.1.2.1: acr_values are voluntary choices; a two-factor session meets
    "passkey or two-factor" without another step."""
    rp = make_rp(organisation_type="council_service")
    user = create_user()
    sign_in_with_code(client, user, enrol_totp(user))
    response = authorize(client, rp, acr_values=f"{ACR_PASSKEY.value} {ACR_TWO_FACTOR.value}")
    assert _id_token_after(client, rp, response)["acr"] == ACR_TWO_FACTOR.value


def test_an_unknown_acr_value_alone_is_ignored(app: Flask, client: FlaskClient) -> None:
    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)
    response = authorize(client, rp, acr_values="urn:example:unknown")
    assert _id_token_after(client, rp, response)["acr"] == ACR_PASSWORD.value


def test_a_sign_in_older_than_max_age_is_renewed_and_the_id_token_says_when(app: Flask, client: FlaskClient) -> None:
    rp = make_rp(organisation_type="council_service")
    user = signed_in_user(client)
    age_session(user, 600)
    url = "/authorize?" + urlencode(authorization_params(rp, max_age=300))
    back_at_client = complete_step_up(client, url)
    assert urlsplit(back_at_client.headers["Location"]).path != "/sign-in/step-up"
    claims = _id_token_after(client, rp, back_at_client)
    assert time.time() - claims["auth_time"] < 60  # type: ignore[operator]


# -- a client's minimum identity level --------------------------------------------------------------------
def test_a_client_needing_an_in_person_check_refuses_a_self_asserted_citizen(app: Flask, client: FlaskClient) -> None:
    """Issue 5: each client states a minimum identity level; below it there is no token, only the reason."""
    rp = make_rp(organisation_type="council_service", min_identity_level=IDENTITY_VERIFIED_IN_PERSON.value)
    signed_in_user(client)
    answer = redirect_params(authorize(client, rp))
    assert answer["error"] == "access_denied" and "code" not in answer
    assert "verified in person" in answer["error_description"]


def test_after_an_officer_check_the_same_client_gets_its_code(app: Flask, client: FlaskClient) -> None:
    from datetime import date

    from idp.extensions import db
    from idp.officers.citizens import Details
    from idp.officers.identity import record_check
    from tests.officers.helpers import create_staff

    rp = make_rp(organisation_type="council_service", min_identity_level=IDENTITY_VERIFIED_IN_PERSON.value)
    user = signed_in_user(client)
    record_check(create_staff("officer"), user, Details("Ada", "Lovelace", date(1961, 2, 14), "LE1 5WS"), ["passport"])
    db.session.commit()
    claims = _id_token_after(client, rp, authorize(client, rp))
    assert claims["identity_level"] == IDENTITY_VERIFIED_IN_PERSON.value
