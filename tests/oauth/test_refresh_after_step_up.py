"""Refreshing never raises acr nor renews auth_time, even after the browser session has stepped up."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask
from flask.testing import FlaskClient

from idp.authn.levels import ACR_PASSWORD, ACR_TWO_FACTOR
from tests.authn.helpers import age_session, code_at, enrol_totp, login_of, post_code
from tests.oauth.forge import claims_of
from tests.oauth.helpers import make_rp, refresh, signed_in_user, tokens_for


def test_a_refresh_after_the_session_stepped_up_keeps_the_original_acr_and_auth_time(
    app: Flask, client: FlaskClient
) -> None:
    """Issue 5: Refreshing never raises `acr` nor renews `auth_time`."""
    rp = make_rp(organisation_type="council_service", first_party=True)
    user = signed_in_user(client)
    age_session(user, 120)
    first = tokens_for(client, rp)
    secret = enrol_totp(user)
    client.get("/sign-in/step-up?" + urlencode({"next": "/account", "acr": ACR_TWO_FACTOR.value}))
    post_code(client, "/sign-in/step-up/code", code_at(secret))
    assert login_of(user).acr == ACR_TWO_FACTOR.value  # the browser session is stronger and newer now
    second = refresh(client, rp, first["refresh_token"]).get_json()
    for token in (second["id_token"], second["access_token"]):
        claims = claims_of(token)
        assert claims["acr"] == ACR_PASSWORD.value
        assert claims["auth_time"] == claims_of(first["id_token"])["auth_time"]
