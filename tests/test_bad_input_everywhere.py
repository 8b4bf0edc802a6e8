"""Bad input anywhere gets a clear 4xx, never a 500 or a stack trace (issue 2).

A sweep, not a sample: every URL rule of the app (``app.url_map``) with each of its methods, its path
variables filled with seeded ids, receives a fixed set of hostile requests (tests/sweep.py), signed out,
signed in as a citizen, and signed in as staff holding every role. Each answer must be below 500, show no
traceback, and on ``/oauth2/*`` and ``/authorize`` keep the OAuth error shape (RFC 6749 sections 4.1.2.1 and
5.2). A second sweep puts hostile values into every path variable. Failures name the endpoint, the status
and the exception the app logged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from consent import access_log
from consent.models import Receipt
from idp import audit
from idp.accounts.models import LoginSession
from idp.extensions import db
from tests import sweep
from tests.builders import create_user
from tests.oauth.helpers import REDIRECT_URI, make_rp
from tests.officers.helpers import create_staff, sign_in_as_staff
from tests.vault.helpers import TENANCY, token_for
from tests.web_helpers import csrf_token, sign_in
from vault import services as vault_services
from vault.models import Record

STAFF_ROLES = ("officer", "client_admin", "auditor", "role_admin")
VAULT_SCOPES = ("vault:tenancy:read", "vault:tenancy:write")


@dataclass
class World:
    """A small populated app: a citizen with a vault record and a grant, a partner client, staff."""

    http: FlaskClient
    ctx: sweep.Context
    path_values: dict[str, str]
    redirect_uri: str = REDIRECT_URI


def _populate(app: Flask, who: str) -> World:
    """The world seen by ``who`` (signed out, citizen, staff)."""
    http = app.test_client()
    citizen = create_user(email="citizen@example.org", given_name="Ada", family_name="Lovelace")
    rp = make_rp(
        organisation_type="landlord",
        scope="openid profile email access_requests " + " ".join(VAULT_SCOPES),
        grant_types=["authorization_code", "refresh_token", "client_credentials"],
    )
    bearer = token_for(citizen, rp.client, *VAULT_SCOPES)
    record = http.post("/api/v1/vault/modules/tenancy/records", json=TENANCY, headers=_bearer(bearer))
    assert record.status_code == 201, record.get_json()
    service = http.post(
        "/oauth2/token", data={"grant_type": "client_credentials", "scope": "access_requests"}, auth=rp.basic
    )
    assert service.status_code == 200, service.get_json()
    if who == "citizen":
        assert sign_in(http, "citizen@example.org").status_code == 302
    elif who == "staff":
        staff = create_staff(STAFF_ROLES[0])
        for role in STAFF_ROLES[1:]:
            _grant_role(staff, role)
        sign_in_as_staff(http, staff)
    ctx = sweep.Context(
        csrf=csrf_token(http, "/reset-password"),
        client_basic=rp.basic,
        bearer=bearer,
        service_bearer=service.get_json()["access_token"],
        plausible=_plausible_fields(rp, citizen),
    )
    return World(http, ctx, _path_values(citizen, rp, record.get_json()["id"]))


def _grant_role(staff: Any, role: str) -> None:
    from idp.officers.roles import grant_role

    grant_role(staff, role, by=None)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _plausible_fields(rp: Any, citizen: Any) -> dict[str, str]:
    """Values that get a request past the first checks, so the hostile part reaches the deeper code."""
    return {
        "client_id": rp.client_id,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": "openid vault:tenancy:read",
        "code_challenge": rp.challenge,
        "code_challenge_method": "S256",
        "code_verifier": rp.verifier,
        "grant_type": "client_credentials",
        "contact": "citizen@example.org",
        "email": "citizen@example.org",
        "phone": "07700900123",
        "user_id": citizen.id,
        "kind": "tenancy",
        "days": "30",
        "max_age": "60",
        "next": "/account",
        "decision": "allow",
    }


def _path_values(citizen: Any, rp: Any, record_id: str) -> dict[str, str]:
    unknown = "00000000-0000-0000-0000-000000000000"
    grant_id = db.session.scalar(select(Receipt.grant_id))
    receipt_id = db.session.scalar(select(Receipt.id))
    login_id = db.session.scalar(select(LoginSession.id).where(LoginSession.user_id == citizen.id)) or unknown
    return {
        "link_id": unknown,
        "passkey_id": unknown,
        "session_id": login_id,
        "client_id": rp.client_id,
        "organisation_id": rp.client.organisation_id,
        "request_id": unknown,
        "module": "tenancy",
        "record_id": record_id,
        "kind": "tenancy",
        "user_id": citizen.id,
        "grant_id": grant_id or unknown,
        "receipt_id": receipt_id or unknown,
        "token": "t" * 43,
    }


class ErrorLog(logging.Handler):
    """The exceptions the app logged while answering (its 500 handler logs them), to name in a failure."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            self.seen.append(f"{type(error).__name__}: {str(error)[:200]}")

    def take(self) -> list[str]:
        seen, self.seen = self.seen, []
        return seen


@pytest.fixture
def error_log() -> Iterator[ErrorLog]:
    handler = ErrorLog()
    logging.getLogger().addHandler(handler)
    yield handler
    logging.getLogger().removeHandler(handler)


def _answers(responses: Iterator[TestResponse]) -> Iterator[TestResponse | Exception]:
    """Each response in turn; an exception that escapes the app (not even a 500 page) is an answer too."""
    while True:
        try:
            yield next(responses)
        except StopIteration:
            return
        except Exception as error:  # noqa: BLE001 - reported as a failure, with its type and message
            yield error
            return


def _failures(
    world: World, endpoint: sweep.Endpoint, responses: Iterator[TestResponse], error_log: ErrorLog
) -> list[str]:
    found = []
    for number, answer in enumerate(_answers(responses)):
        if isinstance(answer, Exception):
            found.append(f"{endpoint.label} [request {number}] raised {type(answer).__name__}: {answer}")
            continue
        trouble = sweep.problems(endpoint, answer, world.redirect_uri) + error_log.take()
        if trouble:
            found.append(f"{endpoint.label} [request {number}] -> {answer.status_code}: {'; '.join(trouble)}")
    return found


def _report(failures: list[str]) -> str:
    return f"{len(failures)} bad answers:\n" + "\n".join(failures[:40])


# Staff also hold a citizen's account: their sweep covers the staff consoles, the citizen's covers the rest.
STAFF_PATHS = ("/officers", "/admin", "/staff", "/audit-trail")
WHO = ("signed out", "citizen", "staff")
HOSTILE_REQUESTS: dict[str, sweep.Send] = {
    "duplicated parameters": sweep.duplicated_parameters,
    "a 1 MB field and every field long": sweep.oversized_field,
    "invalid UTF-8 and NUL in query and form": sweep.invalid_utf8,
    "JSON (of every type) where a form is expected": sweep.json_where_a_form_is_expected,
    "a form where JSON is expected": sweep.form_where_json_is_expected,
    "wrong and malformed content types": sweep.wrong_content_types,
    "a missing or forged CSRF token": sweep.missing_csrf_token,
    "hostile If-Match, Accept and other headers": sweep.hostile_headers,
}


# What a guard reads before it turns a signed-out caller away: headers, cookies and the query string.
BEFORE_THE_GUARD = {
    "invalid UTF-8 and NUL in query and form",
    "hostile If-Match, Accept and other headers",
    "forged bearer tokens and Authorization headers",
    "a forged session cookie",
}


def _turned_away(response: TestResponse) -> bool:
    """A guard's answer to a signed-out caller: to the sign-in page, 401 or 403 (a staff console)."""
    return response.status_code in (401, 403) or response.headers.get("Location", "").startswith("/sign-in?")


def _hostile_requests(app: Flask, world: World) -> dict[str, sweep.Send]:
    """The fixed set, plus forged bearer tokens (alg none, HMAC keyed with the provider's public key, a key
    embedded in the header: RFC 8725 section 2), malformed Authorization headers and forged session cookies."""
    tokens = sweep.forged_tokens(app.extensions["logbook_keyring"].signing_key().public_jwk())
    name = app.config["SESSION_COOKIE_NAME"]
    real = world.http.get_cookie(name)

    def forged_bearer(http: FlaskClient, endpoint: sweep.Endpoint, ctx: sweep.Context) -> Iterator[TestResponse]:
        return sweep.forged_bearer_tokens(http, endpoint, ctx, tokens)

    def forged_cookie(http: FlaskClient, endpoint: sweep.Endpoint, ctx: sweep.Context) -> Iterator[TestResponse]:
        yield from sweep.forged_session_cookies(http, endpoint, ctx, name)
        if real is not None:
            http.set_cookie(name, real.value)

    return {
        **HOSTILE_REQUESTS,
        "forged bearer tokens and Authorization headers": forged_bearer,
        "a forged session cookie": forged_cookie,
    }


@pytest.mark.parametrize("who", WHO)
def test_no_endpoint_answers_hostile_input_with_a_server_error(app: Flask, error_log: ErrorLog, who: str) -> None:
    """Every endpoint, every hostile request; the endpoints that end the session (sign-out, account deletion)
    come last so that the rest run signed in."""
    world = _populate(app, who)
    hostile = _hostile_requests(app, world)
    failures: list[str] = []
    for endpoint in sweep.endpoints(app, world.path_values):
        if (who == "staff") != endpoint.rule.rule.startswith(STAFF_PATHS) and who != "signed out":
            continue
        kinds = hostile.items()
        if who == "signed out" and _turned_away(world.http.open(endpoint.path, method=endpoint.method)):
            kinds = [(description, send) for description, send in kinds if description in BEFORE_THE_GUARD]
        for description, send in kinds:
            found = _failures(world, endpoint, send(world.http, endpoint, world.ctx), error_log)
            failures += [f"{failure} ({description})" for failure in found]
    assert not failures, _report(failures)
    _assert_nothing_half_written()


def _assert_nothing_half_written() -> None:
    """After the sweep, no hostile request has left data half-written: the hash-chained audit trail and
    access log still verify, and every stored vault record still opens under its citizen's key."""
    db.session.rollback()
    for name, report in (("audit trail", audit.verify_chain()), ("access log", access_log.verify_chain())):
        assert report.ok, f"{name}: {report.reason} at row {report.bad_seq}"
    for user_id, module in db.session.execute(select(Record.user_id, Record.module).distinct()).all():
        vault_services.list_records(user_id, module)


@pytest.mark.parametrize("who", WHO)
def test_no_hostile_path_value_gets_a_server_error(app: Flask, error_log: ErrorLog, who: str) -> None:
    """Unknown ids, very long strings, '..', a percent-encoded NUL, invalid UTF-8 in every path variable."""
    world = _populate(app, who)
    failures: list[str] = []
    for description, value in sweep.HOSTILE_SEGMENTS.items():
        for rule in sweep.rules_with_variables(app):
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                endpoint = sweep.Endpoint(rule, method, sweep.fill(rule, dict.fromkeys(rule.arguments, value)))
                responses = sweep.form_where_json_is_expected(world.http, endpoint, world.ctx)
                failures += [
                    f"{failure} ({description})" for failure in _failures(world, endpoint, responses, error_log)
                ]
    assert not failures, _report(failures)


def test_the_sweep_reaches_every_rule_of_the_app(app: Flask) -> None:
    """The sweep is only as good as its list: every rule but Flask's static files is in it."""
    rules = {r.rule for r in app.url_map.iter_rules() if r.endpoint not in sweep.SKIPPED_ENDPOINTS}
    swept = {e.rule.rule for e in sweep.endpoints(app, _AnyValue())}
    assert rules == swept and len(rules) > 80


class _AnyValue(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        return "x"


# Raw (already percent-encoded) hostile values for one protocol parameter at a time.
HOSTILE_PARAMETER_VALUES = (
    "%FF%FE",
    "a%00b",
    "%7B%22a%22%3A",
    "%C3%A9%E2%80%AE" * 10,
    "x" * 3000,
    "+",
    "-1",
    "99999999999999999999999",
    "%5B%5D",
)
AUTHORIZATION_PARAMETERS = (
    "response_type client_id redirect_uri scope state nonce code_challenge code_challenge_method prompt max_age "
    "acr_values claims id_token_hint login_hint ui_locales authorization_details response_mode request"
).split()


def _one_hostile(params: dict[str, str], name: str, raw: str) -> str:
    return urlencode({k: v for k, v in params.items() if k != name}) + f"&{name}={raw}"


def test_each_authorization_parameter_hostile_in_turn_gets_an_oauth_answer(app: Flask, error_log: ErrorLog) -> None:
    """A valid authorization request from a signed-in citizen with one parameter made hostile at a time
    (invalid UTF-8, NUL, broken JSON, very long, numbers out of range): an OAuth error (RFC 6749 section
    4.1.2.1) or a code, never a 500."""
    world = _populate(app, "citizen")
    rp_params = {key: world.ctx.plausible[key] for key in ("client_id", "redirect_uri", "response_type")}
    params = {
        **rp_params,
        "scope": "openid",
        "state": "s",
        "nonce": "n",
        "code_challenge": world.ctx.plausible["code_challenge"],
        "code_challenge_method": "S256",
    }
    endpoint = sweep.Endpoint(next(r for r in app.url_map.iter_rules() if r.rule == "/authorize"), "GET", "")
    failures: list[str] = []
    for name in AUTHORIZATION_PARAMETERS:
        for raw in HOSTILE_PARAMETER_VALUES:
            endpoint.path = "/authorize?" + _one_hostile(params, name, raw)
            found = _failures(world, endpoint, iter([world.http.get(endpoint.path)]), error_log)
            failures += [f"{failure} ({name}={raw[:20]})" for failure in found]
    assert not failures, _report(failures)


TOKEN_PARAMETERS = "grant_type code redirect_uri code_verifier refresh_token scope client_id resource".split()


def test_each_token_parameter_hostile_in_turn_gets_an_oauth_error(app: Flask, error_log: ErrorLog) -> None:
    """RFC 6749 section 5.2: a token request with one parameter made hostile at a time is answered with a
    JSON error object, never a 500."""
    world = _populate(app, "citizen")
    params = {
        "grant_type": "authorization_code",
        "code": "c" * 43,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": world.ctx.plausible["code_verifier"],
    }
    endpoint = sweep.Endpoint(next(r for r in app.url_map.iter_rules() if r.rule == "/oauth2/token"), "POST", "")
    endpoint.path = "/oauth2/token"
    headers = world.ctx.authorization("/oauth2/token")
    failures: list[str] = []
    for grant_type in ("authorization_code", "refresh_token", "client_credentials"):
        for name in TOKEN_PARAMETERS:
            for raw in HOSTILE_PARAMETER_VALUES:
                body = _one_hostile({**params, "grant_type": grant_type, "refresh_token": "r" * 43}, name, raw)
                response = world.http.post(
                    endpoint.path, data=body, headers=headers, content_type="application/x-www-form-urlencoded"
                )
                found = _failures(world, endpoint, iter([response]), error_log)
                failures += [f"{failure} ({grant_type}: {name}={raw[:20]})" for failure in found]
    assert not failures, _report(failures)
