"""What one process caches of the database must follow changes made by another process (another worker,
another host, the CLI). ``other_process`` is a second app on the same database with caches of its own.

Client lookups on the token, revocation and introspection endpoints are cached per process
(``idp.oauth2.server.CLIENT_CACHE_SECONDS``): whether the client is enabled and how it authenticates (its
secrets and keys) are checked against the database on every use; other metadata may lag by that bound."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from clients.services import disable_client, find_client, rotate_secret
from idp.app import create_app
from idp.oauth2.access_tokens import decode_access_token, issue_access_token, keyring
from tests.conftest import make_test_config
from tests.oauth.helpers import make_rp

CLIENT_CREDENTIALS = {"grant_type": "client_credentials"}


def machine_client() -> object:
    return make_rp(grant_types=["client_credentials"], redirect_uris=[], scope="vault:tenancy:write")


def test_a_client_disabled_by_another_process_is_refused_at_once(
    app: Flask, client: FlaskClient, other_process: Flask
) -> None:
    """clients.services.disable_client: "Refuse the client everywhere from now on" — also where it was
    looked up a moment ago."""
    rp = machine_client()
    assert client.post("/oauth2/token", data=CLIENT_CREDENTIALS, auth=rp.basic).status_code == 200
    with other_process.app_context():
        disable_client(find_client(rp.client_id))  # type: ignore[arg-type]
    response = client.post("/oauth2/token", data=CLIENT_CREDENTIALS, auth=rp.basic)
    assert response.status_code == 401 and response.get_json()["error"] == "invalid_client"


def test_a_secret_rotated_without_overlap_by_another_process_stops_working_at_once(
    app: Flask, client: FlaskClient, other_process: Flask
) -> None:
    """A secret rotated with no overlap (it leaked) must not be accepted by a process that cached it."""
    rp = machine_client()
    assert client.post("/oauth2/token", data=CLIENT_CREDENTIALS, auth=rp.basic).status_code == 200
    with other_process.app_context():
        new_secret = rotate_secret(find_client(rp.client_id), overlap=timedelta(0))  # type: ignore[arg-type]
    assert client.post("/oauth2/token", data=CLIENT_CREDENTIALS, auth=rp.basic).status_code == 401
    assert client.post("/oauth2/token", data=CLIENT_CREDENTIALS, auth=(rp.client_id, new_secret)).status_code == 200


def test_a_signing_key_rotated_by_another_process_verifies_here_without_a_restart(
    database_url: str, tmp_path: Path
) -> None:
    """docs/operations: `logbook keys rotate` adds a new current key; a process that loaded the keys before
    must accept at once what a process signing with the new key issued (idp.oauth2.access_tokens)."""
    keys, outbox = tmp_path / "keys", tmp_path / "outbox"
    here, elsewhere = (create_app(make_test_config(database_url, keys, outbox)) for _ in range(2))
    with elsewhere.app_context():
        rotated = elsewhere.extensions["logbook_keyring"].rotate()
        token = issue_access_token("machine", "machine", {"vault:tenancy:write"}).token
    with here.app_context():
        assert decode_access_token(token)["client_id"] == "machine"
        assert keyring().signing_key().kid == rotated.kid  # and signs with it from now on
