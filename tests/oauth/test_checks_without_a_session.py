"""The authorization checks that run after ``signed_in`` answer correctly when there is no sign-in session,
instead of relying on ``assert`` (which ``python -O`` strips): the person is sent to sign in, or with
prompt=none the client hears login_required. Through HTTP these checks never see a missing session (the
signed_in check answers first), so they are called here directly, in a request to the endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from authlib.oidc.core.errors import LoginRequiredError
from flask import Flask

from idp.oauth2 import authorize, views
from idp.oauth2.authorize import AuthorizationRequest
from tests.builders import create_client

REDIRECT_URI = "https://rp.example.org/callback"
CHECKS = [authorize.fresh_enough, authorize.strong_enough, authorize.service_linked, authorize.consented]


@pytest.fixture
def endpoint(app: Flask) -> Iterator[None]:
    with app.test_request_context("/authorize"):
        yield


def without_session(**params: str) -> AuthorizationRequest:
    client, _ = create_client()
    values = {"client_id": client.client_id, "redirect_uri": REDIRECT_URI, "state": "s1", **params}  # type: ignore[attr-defined]
    return AuthorizationRequest(
        client=client,  # type: ignore[arg-type]
        params=values,
        redirect_uri=REDIRECT_URI,
        login=None,
        url="/authorize?state=s1",
        scopes=frozenset({"openid"}),
    )


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
def test_a_check_without_a_session_sends_the_person_to_sign_in(endpoint: None, check: authorize.Check) -> None:
    response = check(without_session())
    assert response is not None and response.status_code == 302
    target = urlsplit(response.headers["Location"])
    assert target.path == "/sign-in" and parse_qs(target.query)["next"] == ["/authorize?state=s1"]


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
def test_a_check_without_a_session_answers_login_required_to_prompt_none(
    endpoint: None, check: authorize.Check
) -> None:
    with pytest.raises(LoginRequiredError) as raised:
        check(without_session(prompt="none"))
    assert raised.value.redirect_uri == REDIRECT_URI and raised.value.state == "s1"


def test_no_one_signed_in_has_no_live_grant(endpoint: None) -> None:
    assert without_session().live_grant() is None


def test_no_code_is_issued_without_a_session(endpoint: None) -> None:
    response = views._issue_code(None, None, without_session())
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/sign-in"


def test_no_code_is_issued_without_a_session_and_prompt_none_hears_login_required(endpoint: None) -> None:
    response = views._issue_code(None, None, without_session(prompt="none"))
    location = urlsplit(response.headers["Location"])
    query = parse_qs(location.query)
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    assert query["error"] == ["login_required"] and query["state"] == ["s1"] and "code" not in query
