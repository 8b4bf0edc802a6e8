"""The citizen's own vault pages honour a module's step-up policy (issue 5 with issue 3): "health and
benefits default to a second factor within 15 minutes", and the citizen is sent to step up and back.

A citizen without a second factor is not locked out of their own records: they re-prove the strongest
factor they hold (the password) within the same 15 minutes."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from idp.accounts.models import User
from idp.authn.levels import ACR_PASSWORD, ACR_TWO_FACTOR
from tests.authn.helpers import age_session, code_at, complete_step_up, enrol_totp, sign_in_with_code
from tests.builders import DEFAULT_PASSWORD, create_user
from tests.web_helpers import post_form, sign_in
from vault import services
from vault.services import Provenance

GP = {"kind": "gp_registration", "practice_name": "Millbrook Surgery", "nhs_number": "485 777 3456"}
FIFTEEN_MINUTES = 900


@pytest.fixture
def user(app: Flask) -> User:
    user = create_user()
    services.create_record(user.id, "health", GP, Provenance.citizen())
    return user


@pytest.fixture
def with_app(client: FlaskClient, user: User) -> str:
    """The citizen signed in today with the password, then set up an authenticator app (its secret)."""
    assert sign_in(client).status_code == 302
    return enrol_totp(user)


@pytest.fixture
def two_factor(client: FlaskClient, user: User) -> str:
    """The citizen holds an authenticator app and signed in with it just now (its secret)."""
    secret = enrol_totp(user)
    sign_in_with_code(client, user, secret)
    return secret


def step_up_request(response: object) -> tuple[str, dict[str, str]]:
    location = urlsplit(response.headers["Location"])  # type: ignore[attr-defined]
    return location.path, {key: values[0] for key, values in parse_qs(location.query).items()}


def test_a_password_only_session_is_sent_to_step_up_before_the_health_page(
    client: FlaskClient, user: User, with_app: str
) -> None:
    path, params = step_up_request(client.get("/vault/health"))
    assert path == "/sign-in/step-up"
    assert params == {"next": "/vault/health", "acr": ACR_TWO_FACTOR.value, "max_age": str(FIFTEEN_MINUTES)}


def test_after_the_second_factor_the_citizen_comes_back_to_their_health_records(
    client: FlaskClient, user: User, with_app: str
) -> None:
    page = complete_step_up(client, "/vault/health", secret=with_app)
    assert page.status_code == 200 and "Millbrook Surgery" in page.get_data(as_text=True)


def test_a_recent_two_factor_sign_in_opens_the_health_page_directly(
    client: FlaskClient, user: User, two_factor: str
) -> None:
    page = client.get("/vault/health")
    assert page.status_code == 200 and "Millbrook Surgery" in page.get_data(as_text=True)


def test_a_two_factor_sign_in_older_than_fifteen_minutes_is_renewed_first(
    client: FlaskClient, user: User, two_factor: str
) -> None:
    age_session(user, FIFTEEN_MINUTES + 60)
    path, params = step_up_request(client.get("/vault/health"))
    assert path == "/sign-in/step-up" and params["max_age"] == str(FIFTEEN_MINUTES)


def test_each_health_page_needs_the_step_up_not_only_the_list(client: FlaskClient, user: User, with_app: str) -> None:
    record = services.list_records(user.id, "health")[0]
    for url in (f"/vault/health/{record.id}", f"/vault/health/{record.id}/change", "/vault/health/add/condition"):
        assert step_up_request(client.get(url))[0] == "/sign-in/step-up", url


def test_benefits_pages_need_the_step_up_too(client: FlaskClient, user: User, with_app: str) -> None:
    assert step_up_request(client.get("/vault/benefits"))[0] == "/sign-in/step-up"


def test_a_module_without_a_policy_opens_after_a_password_sign_in(
    client: FlaskClient, user: User, with_app: str
) -> None:
    assert client.get("/vault/tenancy").status_code == 200


def test_the_download_of_everything_needs_the_step_up(client: FlaskClient, user: User, with_app: str) -> None:
    for url in ("/vault/download", "/vault/download.json"):
        assert step_up_request(client.get(url))[0] == "/sign-in/step-up", url


def test_a_health_record_posted_from_a_password_only_session_is_not_stored(
    client: FlaskClient, user: User, with_app: str
) -> None:
    form = {"practice_name": "Another Surgery"}
    response = post_form(client, "/vault/health/add/gp_registration", form, page_url="/vault/tenancy/add/tenancy")
    assert step_up_request(response) == (
        "/sign-in/step-up",
        {"next": "/vault/health/add/gp_registration", "acr": ACR_TWO_FACTOR.value, "max_age": str(FIFTEEN_MINUTES)},
    )
    assert [record.data["practice_name"] for record in services.list_records(user.id, "health")] == [
        "Millbrook Surgery"
    ]


def test_cancelling_the_step_up_goes_back_to_the_vault_without_the_records(
    client: FlaskClient, user: User, with_app: str
) -> None:
    client.get("/sign-in/step-up?next=/vault/health&acr=" + ACR_TWO_FACTOR.value)
    response = client.get("/vault/health?step_up=cancelled")
    assert response.status_code == 302 and response.headers["Location"] == "/vault"
    home = client.get("/vault").get_data(as_text=True)
    assert "confirm it is you" in home and "Millbrook Surgery" not in home


def test_without_a_second_factor_a_fresh_password_sign_in_opens_the_health_page(
    client: FlaskClient, user: User
) -> None:
    sign_in(client)
    assert client.get("/vault/health").status_code == 200


def test_without_a_second_factor_an_old_sign_in_asks_for_the_password_again(client: FlaskClient, user: User) -> None:
    sign_in(client)
    age_session(user, FIFTEEN_MINUTES + 60)
    path, params = step_up_request(client.get("/vault/health"))
    assert path == "/sign-in/step-up" and params["acr"] == ACR_PASSWORD.value
    page = complete_step_up(client, "/vault/health", password=DEFAULT_PASSWORD)
    assert page.status_code == 200 and "Millbrook Surgery" in page.get_data(as_text=True)


def test_a_wrong_code_at_the_step_up_leaves_the_health_page_closed(
    client: FlaskClient, user: User, with_app: str
) -> None:
    client.get(client.get("/vault/health").headers["Location"])
    near = {code_at(with_app, step) for step in (-1, 0, 1)}
    wrong_code = next(code for code in ("000000", "111111", "222222", "333333") if code not in near)
    wrong = post_form(client, "/sign-in/step-up/code", {"code": wrong_code})
    assert wrong.status_code == 400
    assert step_up_request(client.get("/vault/health"))[0] == "/sign-in/step-up"
