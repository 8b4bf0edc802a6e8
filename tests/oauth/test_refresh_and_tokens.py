"""Refresh rotation and reuse detection, client credentials, revocation and introspection."""

from __future__ import annotations

import time

from flask import Flask
from flask.testing import FlaskClient

from idp.oauth2.access_tokens import InvalidAccessToken, verify_access_token
from tests.oauth.forge import claims_of
from tests.oauth.helpers import make_rp, refresh, signed_in_user, tokens_for

ISSUER = "http://localhost"


def test_refresh_rotates_the_refresh_token(app: Flask, client: FlaskClient) -> None:
    """RFC 9700 section 4.14.2: refresh token rotation — a new refresh token with every use."""
    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)
    first = tokens_for(client, rp)
    second = refresh(client, rp, first["refresh_token"]).get_json()
    assert second["refresh_token"] != first["refresh_token"] and second["access_token"]


def test_reusing_a_spent_refresh_token_revokes_the_family(app: Flask, client: FlaskClient) -> None:
    """RFC 9700 section 4.14.2: if a refresh token is used twice, the server revokes the active one."""
    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)
    first = tokens_for(client, rp)
    second = refresh(client, rp, first["refresh_token"]).get_json()
    replay = refresh(client, rp, first["refresh_token"])
    assert replay.status_code == 400 and replay.get_json()["error"] == "invalid_grant"
    assert refresh(client, rp, second["refresh_token"]).get_json()["error"] == "invalid_grant"
    try:
        verify_access_token(second["access_token"], ISSUER)
        raise AssertionError("access token of a revoked family still verifies")
    except InvalidAccessToken:
        pass


def test_refresh_keeps_the_original_auth_time_and_acr(app: Flask, client: FlaskClient) -> None:
    """OIDC Core section 12.2: auth_time and acr describe the original authentication, not the refresh."""
    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)
    first = tokens_for(client, rp)
    time.sleep(1.1)
    second = refresh(client, rp, first["refresh_token"]).get_json()
    before, after = claims_of(first["id_token"]), claims_of(second["id_token"])
    assert after["auth_time"] == before["auth_time"] and after["acr"] == before["acr"]
    assert claims_of(second["access_token"])["auth_time"] == before["auth_time"]


def test_refresh_cannot_widen_the_scope(app: Flask, client: FlaskClient) -> None:
    """RFC 6749 section 6: the requested scope MUST NOT include any scope not originally granted."""
    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)
    first = tokens_for(client, rp, scope="openid email")
    response = refresh(client, rp, first["refresh_token"], scope="openid email phone")
    assert response.get_json()["error"] == "invalid_scope"


def test_refresh_token_of_another_client_is_refused(app: Flask, client: FlaskClient) -> None:
    rp = make_rp(organisation_type="council_service")
    other = make_rp(name="Other", organisation_type="council_service")
    signed_in_user(client)
    first = tokens_for(client, rp)
    assert refresh(client, other, first["refresh_token"]).get_json()["error"] == "invalid_grant"


def test_client_credentials_gives_an_access_token_without_refresh(app: Flask, client: FlaskClient) -> None:
    """RFC 6749 section 4.4.3: a refresh token SHOULD NOT be included."""
    rp = make_rp(grant_types=["client_credentials"], redirect_uris=[], scope="vault:tenancy:write")
    response = client.post("/oauth2/token", data={"grant_type": "client_credentials"}, auth=rp.basic)
    body = response.get_json()
    assert response.status_code == 200 and "refresh_token" not in body and body["scope"] == "vault:tenancy:write"
    claims = verify_access_token(body["access_token"], f"{ISSUER}/api/v1/vault")
    assert claims.user_id is None and claims.sub == rp.client_id


def test_client_credentials_refuses_scopes_not_registered(app: Flask, client: FlaskClient) -> None:
    rp = make_rp(grant_types=["client_credentials"], redirect_uris=[], scope="vault:tenancy:write")
    response = client.post(
        "/oauth2/token", data={"grant_type": "client_credentials", "scope": "vault:health:read"}, auth=rp.basic
    )
    assert response.get_json()["error"] == "invalid_scope"


def test_grant_type_not_registered_for_the_client_is_unauthorized(app: Flask, client: FlaskClient) -> None:
    rp = make_rp(organisation_type="council_service")
    response = client.post("/oauth2/token", data={"grant_type": "client_credentials"}, auth=rp.basic)
    assert response.get_json()["error"] == "unauthorized_client"


def test_password_grant_is_not_offered(app: Flask, client: FlaskClient) -> None:
    """RFC 9700 section 2.4: the resource owner password credentials grant MUST NOT be used."""
    rp = make_rp(organisation_type="council_service")
    data = {"grant_type": "password", "username": "a", "password": "b"}
    assert client.post("/oauth2/token", data=data, auth=rp.basic).get_json()["error"] == "unsupported_grant_type"


def test_wrong_client_secret_is_invalid_client(app: Flask, client: FlaskClient) -> None:
    """RFC 6749 section 5.2: invalid_client, 401 with WWW-Authenticate when Basic was used."""
    rp = make_rp(grant_types=["client_credentials"], redirect_uris=[], scope="vault:tenancy:write")
    response = client.post("/oauth2/token", data={"grant_type": "client_credentials"}, auth=(rp.client_id, "nope"))
    assert response.status_code == 401 and response.get_json()["error"] == "invalid_client"
    assert "WWW-Authenticate" in response.headers


def test_client_secret_post_works_for_clients_registered_for_it(app: Flask, client: FlaskClient) -> None:
    rp = make_rp(
        grant_types=["client_credentials"],
        redirect_uris=[],
        scope="vault:tenancy:write",
        token_endpoint_auth_method="client_secret_post",
    )
    data = {"grant_type": "client_credentials", "client_id": rp.client_id, "client_secret": rp.secret}
    assert client.post("/oauth2/token", data=data).status_code == 200
    assert client.post("/oauth2/token", data={"grant_type": "client_credentials"}, auth=rp.basic).status_code == 401


def test_revoked_access_token_no_longer_works(app: Flask, client: FlaskClient) -> None:
    """RFC 7009 section 2.2: the authorization server responds with 200 when the token was revoked."""
    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)
    body = tokens_for(client, rp)
    response = client.post("/oauth2/revoke", data={"token": body["access_token"]}, auth=rp.basic)
    assert response.status_code == 200
    assert client.get("/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"}).status_code == 401


def test_revoking_a_refresh_token_revokes_its_grant(app: Flask, client: FlaskClient) -> None:
    """RFC 7009 section 2.1: revoking a refresh token SHOULD also invalidate access tokens of the grant."""
    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)
    body = tokens_for(client, rp)
    data = {"token": body["refresh_token"], "token_type_hint": "refresh_token"}
    assert client.post("/oauth2/revoke", data=data, auth=rp.basic).status_code == 200
    assert refresh(client, rp, body["refresh_token"]).get_json()["error"] == "invalid_grant"
    assert client.get("/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"}).status_code == 401


def test_revoking_an_unknown_token_answers_200(app: Flask, client: FlaskClient) -> None:
    """RFC 7009 section 2.2: invalid tokens do not cause an error response."""
    rp = make_rp(organisation_type="council_service")
    assert client.post("/oauth2/revoke", data={"token": "not-a-token"}, auth=rp.basic).status_code == 200


def test_introspection_describes_an_active_token(app: Flask, client: FlaskClient) -> None:
    """RFC 7662 section 2.2: active, scope, client_id, exp ... plus our acr, amr and auth_time."""
    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)
    body = tokens_for(client, rp)
    info = client.post("/oauth2/introspect", data={"token": body["access_token"]}, auth=rp.basic).get_json()
    assert info["active"] is True and info["client_id"] == rp.client_id
    assert {"acr", "amr", "auth_time", "exp", "scope", "sub"} <= info.keys()


def test_introspection_of_a_revoked_token_is_inactive(app: Flask, client: FlaskClient) -> None:
    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)
    body = tokens_for(client, rp)
    client.post("/oauth2/revoke", data={"token": body["access_token"]}, auth=rp.basic)
    info = client.post("/oauth2/introspect", data={"token": body["access_token"]}, auth=rp.basic).get_json()
    assert info == {"active": False}


def test_introspection_of_garbage_is_inactive(app: Flask, client: FlaskClient) -> None:
    """RFC 7662 section 2.2: if the token is not valid, active MUST be false."""
    rp = make_rp(organisation_type="council_service")
    info = client.post("/oauth2/introspect", data={"token": "a.b.c"}, auth=rp.basic).get_json()
    assert info == {"active": False}


def test_introspection_requires_client_authentication(app: Flask, client: FlaskClient) -> None:
    """RFC 7662 section 2.1: the protected resource MUST authenticate."""
    response = client.post("/oauth2/introspect", data={"token": "whatever"})
    assert response.status_code in (400, 401) and response.get_json()["error"] == "invalid_client"


def test_another_clients_token_is_inactive_to_an_ordinary_client(app: Flask, client: FlaskClient) -> None:
    rp = make_rp(organisation_type="council_service")
    other = make_rp(name="Other", organisation_type="council_service")
    signed_in_user(client)
    body = tokens_for(client, rp)
    info = client.post("/oauth2/introspect", data={"token": body["access_token"]}, auth=other.basic).get_json()
    assert info == {"active": False}


def test_introspection_describes_an_active_refresh_token(app: Flask, client: FlaskClient) -> None:
    """RFC 7662 section 2.1: token_type_hint refresh_token; the same members describe it."""
    rp = make_rp(organisation_type="council_service")
    user = signed_in_user(client)
    body = tokens_for(client, rp)
    data = {"token": body["refresh_token"], "token_type_hint": "refresh_token"}
    info = client.post("/oauth2/introspect", data=data, auth=rp.basic).get_json()
    assert info["active"] is True and info["sub"] == user.id and info["token_type"] == "refresh_token"
    assert info["acr"] and info["auth_time"]


def test_introspection_of_a_spent_refresh_token_is_inactive(app: Flask, client: FlaskClient) -> None:
    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)
    body = tokens_for(client, rp)
    refresh(client, rp, body["refresh_token"])
    info = client.post("/oauth2/introspect", data={"token": body["refresh_token"]}, auth=rp.basic).get_json()
    assert info == {"active": False}


def test_disabling_a_client_takes_effect_at_the_token_endpoint_at_once(app: Flask, client: FlaskClient) -> None:
    """The token endpoint's client cache is evicted when the client changes."""
    from clients.services import disable_client, find_client

    rp = make_rp(grant_types=["client_credentials"], redirect_uris=[], scope="vault:tenancy:write")
    assert client.post("/oauth2/token", data={"grant_type": "client_credentials"}, auth=rp.basic).status_code == 200
    disable_client(find_client(rp.client_id))  # type: ignore[arg-type]
    response = client.post("/oauth2/token", data={"grant_type": "client_credentials"}, auth=rp.basic)
    assert response.get_json()["error"] == "invalid_client"


def test_a_rotated_secret_works_at_the_token_endpoint_at_once(app: Flask, client: FlaskClient) -> None:
    from datetime import timedelta

    from clients.services import find_client, rotate_secret

    rp = make_rp(grant_types=["client_credentials"], redirect_uris=[], scope="vault:tenancy:write")
    assert client.post("/oauth2/token", data={"grant_type": "client_credentials"}, auth=rp.basic).status_code == 200
    new = rotate_secret(find_client(rp.client_id), overlap=timedelta(0))  # type: ignore[arg-type]
    data = {"grant_type": "client_credentials"}
    assert client.post("/oauth2/token", data=data, auth=(rp.client_id, new)).status_code == 200
    assert client.post("/oauth2/token", data=data, auth=rp.basic).status_code == 401
