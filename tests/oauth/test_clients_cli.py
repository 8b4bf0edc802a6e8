"""`logbook clients ...`: register, list, show, rotate, disable from the command line."""

from __future__ import annotations

import re

from flask import Flask

from clients.services import find_client, verify_client_secret


def _run(app: Flask, *args: str):  # type: ignore[no-untyped-def]
    return app.test_cli_runner().invoke(args=["clients", *args])


def _create(app: Flask, *extra: str):  # type: ignore[no-untyped-def]
    return _run(
        app,
        "create",
        "--name",
        "Rents",
        "--organisation",
        "Council rents",
        "--organisation-type",
        "council_service",
        "--redirect-uri",
        "https://rents.example.org/cb",
        *extra,
    )


def test_create_prints_the_secret_once_and_stores_only_its_digest(app: Flask) -> None:
    result = _create(app)
    assert result.exit_code == 0, result.output
    client_id = re.search(r"client_id:\s+(\S+)", result.output).group(1)  # type: ignore[union-attr]
    secret = re.search(r"client_secret:\s+(\S+)", result.output).group(1)  # type: ignore[union-attr]
    assert verify_client_secret(client_id, secret) is not None
    shown = _run(app, "show", client_id).output
    assert secret not in shown and '"first_party": true' in shown


def test_create_refuses_an_http_redirect_uri(app: Flask) -> None:
    result = _run(
        app,
        "create",
        "--name",
        "X",
        "--organisation",
        "O",
        "--organisation-type",
        "landlord",
        "--redirect-uri",
        "http://rp.example.org/cb",
    )
    assert result.exit_code != 0 and "https" in result.output


def test_create_refuses_a_wildcard_redirect_uri(app: Flask) -> None:
    result = _run(
        app,
        "create",
        "--name",
        "X",
        "--organisation",
        "O",
        "--organisation-type",
        "landlord",
        "--redirect-uri",
        "https://*.example.org/cb",
    )
    assert result.exit_code != 0


def test_list_shows_registered_clients(app: Flask) -> None:
    _create(app)
    assert "Rents\tCouncil rents\tactive" in _run(app, "list").output


def test_rotate_secret_prints_a_new_secret(app: Flask) -> None:
    output = _create(app).output
    client_id = re.search(r"client_id:\s+(\S+)", output).group(1)  # type: ignore[union-attr]
    new = re.search(r"client_secret:\s+(\S+)", _run(app, "rotate-secret", client_id).output).group(1)  # type: ignore[union-attr]
    assert verify_client_secret(client_id, new) is not None


def test_disable_stops_the_client(app: Flask) -> None:
    output = _create(app).output
    client_id = re.search(r"client_id:\s+(\S+)", output).group(1)  # type: ignore[union-attr]
    assert _run(app, "disable", client_id).exit_code == 0
    assert find_client(client_id).disabled_at is not None  # type: ignore[union-attr]
    assert "disabled" in _run(app, "list").output


def test_show_unknown_client_fails_cleanly(app: Flask) -> None:
    result = _run(app, "show", "nobody")
    assert result.exit_code != 0 and "nobody" in result.output


def test_oauth2_purge_deletes_expired_revocations(app: Flask) -> None:
    import time

    from idp.extensions import db
    from idp.oauth2.models import RevokedAccessToken
    from idp.oauth2.tokens import revoke_access_token

    revoke_access_token("old", "c", int(time.time()) - 10)
    revoke_access_token("live", "c", int(time.time()) + 300)
    result = app.test_cli_runner().invoke(args=["oauth2", "purge"])
    assert result.exit_code == 0 and "revoked_access_tokens: 1" in result.output
    assert db.session.get(RevokedAccessToken, "live") is not None


def test_client_ids_never_start_with_a_dash_that_a_command_line_would_read_as_an_option(app: Flask) -> None:
    from clients.services import new_client_id

    ids = [new_client_id() for _ in range(2000)]
    assert not any(client_id.startswith("-") for client_id in ids)
    assert {len(client_id) for client_id in ids} == {24} and len(set(ids)) == len(ids)
