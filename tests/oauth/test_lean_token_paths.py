"""Client-credentials token issue and introspection answer as RFC 6749 / RFC 7662 (and Authlib) say, on the
lean path that serves shared-secret clients (``idp.oauth2.client_auth``, ``client_credentials``)."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient

from idp.database import utcnow
from idp.extensions import db
from tests.oauth.helpers import RP, make_rp

CLIENT_CREDENTIALS = {"grant_type": "client_credentials"}


def machine(**metadata: object) -> RP:
    return make_rp(grant_types=["client_credentials"], redirect_uris=[], scope="vault:tenancy:write", **metadata)


def token_for(client: FlaskClient, rp: RP) -> str:
    response = client.post("/oauth2/token", data=CLIENT_CREDENTIALS, auth=rp.basic)
    assert response.status_code == 200, response.get_json()
    return str(response.get_json()["access_token"])


def test_the_token_response_is_json_and_not_cacheable(app: Flask, client: FlaskClient) -> None:
    """RFC 6749 section 5.1: application/json, Cache-Control: no-store, Pragma: no-cache."""
    response = client.post("/oauth2/token", data=CLIENT_CREDENTIALS, auth=machine().basic)
    body = response.get_json()
    assert response.mimetype == "application/json" and body["token_type"] == "Bearer" and body["expires_in"] > 0
    assert response.headers["Cache-Control"] == "no-store" and response.headers["Pragma"] == "no-cache"


def test_an_unknown_client_in_the_authorization_header_gets_a_basic_challenge(app: Flask, client: FlaskClient) -> None:
    """RFC 6749 section 5.2: 401 and a WWW-Authenticate matching the scheme the client used."""
    response = client.post("/oauth2/token", data=CLIENT_CREDENTIALS, auth=("nobody", "secret"))
    assert response.status_code == 401 and response.get_json()["error"] == "invalid_client"
    assert response.headers["WWW-Authenticate"].startswith("Basic ")


def test_an_unknown_client_in_the_form_is_invalid_client(app: Flask, client: FlaskClient) -> None:
    data = {**CLIENT_CREDENTIALS, "client_id": "nobody", "client_secret": "secret"}
    response = client.post("/oauth2/token", data=data)
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_client"


def test_openid_is_refused_without_a_user(app: Flask, client: FlaskClient) -> None:
    rp = make_rp(grant_types=["client_credentials"], redirect_uris=[], scope="openid vault:tenancy:write")
    response = client.post("/oauth2/token", data={**CLIENT_CREDENTIALS, "scope": "openid"}, auth=rp.basic)
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_scope"


def test_the_previous_secret_works_only_until_the_overlap_ends(app: Flask, client: FlaskClient) -> None:
    """clients.services.rotate_secret: the old secret keeps working for the overlap, then stops."""
    from clients.services import find_client, rotate_secret

    rp = machine()
    registered = find_client(rp.client_id)
    assert registered is not None
    rotate_secret(registered, overlap=timedelta(days=1))
    assert client.post("/oauth2/token", data=CLIENT_CREDENTIALS, auth=rp.basic).status_code == 200
    registered.previous_secret_expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.post("/oauth2/token", data=CLIENT_CREDENTIALS, auth=rp.basic).status_code == 401


def test_a_parameter_in_the_query_string_gets_the_same_answer(app: Flask, client: FlaskClient) -> None:
    """Requests off the lean path (here: a query string) are served by Authlib with the same rules."""
    response = client.post("/oauth2/token?audience=x", data=CLIENT_CREDENTIALS, auth=machine().basic)
    assert response.status_code == 200 and "access_token" in response.get_json()


def test_introspection_accepts_client_secret_post(app: Flask, client: FlaskClient) -> None:
    rp = machine(token_endpoint_auth_method="client_secret_post")
    credentials = {"client_id": rp.client_id, "client_secret": rp.secret}
    issued = client.post("/oauth2/token", data={**CLIENT_CREDENTIALS, **credentials})
    data = {"token": issued.get_json()["access_token"], **credentials}
    info = client.post("/oauth2/introspect", data=data).get_json()
    assert info["active"] is True and info["client_id"] == rp.client_id


def test_introspection_with_a_wrong_secret_is_invalid_client(app: Flask, client: FlaskClient) -> None:
    rp = machine()
    response = client.post("/oauth2/introspect", data={"token": token_for(client, rp)}, auth=(rp.client_id, "nope"))
    assert response.status_code == 401 and response.get_json()["error"] == "invalid_client"


def test_introspection_with_an_unknown_token_type_hint_is_unsupported_token_type(
    app: Flask, client: FlaskClient
) -> None:
    """RFC 7009 section 2.2.1 (which RFC 7662 section 2.1 refers to): unsupported_token_type."""
    rp = machine()
    data = {"token": token_for(client, rp), "token_type_hint": "id_token"}
    response = client.post("/oauth2/introspect", data=data, auth=rp.basic)
    assert response.get_json()["error"] == "unsupported_token_type"


def test_introspection_answers_are_not_cacheable(app: Flask, client: FlaskClient) -> None:
    rp = machine()
    response = client.post("/oauth2/introspect", data={"token": token_for(client, rp)}, auth=rp.basic)
    assert response.mimetype == "application/json" and response.headers["Cache-Control"] == "no-store"
