"""Service linking: the first time a citizen uses a council service that requires it, they prove a
service-specific fact, checked against that service's record; the link is remembered, shown with its
last-used date, and can be removed."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask import Flask
from flask.testing import FlaskClient

from idp.extensions import db
from idp.linking.models import ServiceLink, ServiceRecord
from idp.linking.services import MAX_FAILURES, import_records
from tests.builders import create_user
from tests.oauth.helpers import RP, authorize, make_rp, redirect_params, signed_in_user
from tests.web_helpers import post_form

RIGHT = {"reference": "1234 5678", "check": "le1 5ws"}
WRONG = {"reference": "1234 5678", "check": "LE2 7AA"}


def _council_tax_service() -> RP:
    rp = make_rp(organisation_type="council_service", first_party=True, scope="openid", name="Council Tax")
    import_records(rp.client, "council_tax", [{"reference": "12345678", "check": "LE1 5WS"}])
    return rp


def _link_page(response: Any) -> str:
    location = response.headers["Location"]
    assert urlsplit(location).path == "/link-service", location
    return location


def _link(client: FlaskClient, rp: RP, answers: dict[str, str]) -> Any:
    return post_form(client, _link_page(authorize(client, rp, scope="openid")), answers)


def _links() -> list[ServiceLink]:
    db.session.expire_all()
    return list(db.session.query(ServiceLink))


def test_first_use_of_a_linking_service_asks_for_its_fact_before_the_code(app: Flask, client: FlaskClient) -> None:
    """Issue 5: the first time a citizen uses a council service client that requires it, they prove a fact."""
    rp = _council_tax_service()
    signed_in_user(client)
    location = _link_page(authorize(client, rp, scope="openid"))
    assert parse_qs(urlsplit(location).query)["client_id"] == [rp.client_id]
    page = client.get(location).get_data(as_text=True)
    assert "Council Tax account number" in page and "Postcode of the property" in page


def test_the_right_details_link_the_account_and_the_authorization_continues(app: Flask, client: FlaskClient) -> None:
    """Issue 5: checked against that service's record of the person; the link is remembered."""
    rp = _council_tax_service()
    user = signed_in_user(client)
    done = _link(client, rp, RIGHT)
    assert "code" in redirect_params(client.get(done.headers["Location"]))
    assert [(link.user_id, link.client_id) for link in _links()] == [(user.id, rp.client_id)]


def test_wrong_details_are_refused_and_nothing_is_linked(app: Flask, client: FlaskClient) -> None:
    """Issue 5: the fact is checked against the service's record."""
    rp = _council_tax_service()
    signed_in_user(client)
    response = _link(client, rp, WRONG)
    assert response.status_code == 400 and "do not match" in response.get_data(as_text=True)
    assert _links() == []


def test_repeated_wrong_details_are_throttled_even_when_the_next_answer_is_right(
    app: Flask, client: FlaskClient
) -> None:
    """Issue 5 (brief): throttle attempts, so the page cannot be used to guess someone's details."""
    rp = _council_tax_service()
    signed_in_user(client)
    for _ in range(MAX_FAILURES):
        _link(client, rp, WRONG)
    assert _link(client, rp, RIGHT).status_code == 429
    assert _links() == []


def test_a_record_linked_to_one_citizen_cannot_be_claimed_by_another(app: Flask, client: FlaskClient) -> None:
    rp = _council_tax_service()
    signed_in_user(client)
    _link(client, rp, RIGHT)
    other = app.test_client()
    signed_in_user(other, email="someone-else@example.org")
    assert _link(other, rp, RIGHT).status_code == 400
    assert len(_links()) == 1


def test_a_linked_citizen_is_not_asked_again_and_the_link_is_marked_used(app: Flask, client: FlaskClient) -> None:
    """Issue 5: the link is remembered, with its last-used date."""
    rp = _council_tax_service()
    signed_in_user(client)
    _link(client, rp, RIGHT)
    link = _links()[0]
    link.last_used_at = link.linked_at.replace(year=link.linked_at.year - 1)
    db.session.commit()
    assert "code" in redirect_params(authorize(client, rp, scope="openid"))
    assert _links()[0].last_used_at > link.linked_at


def test_prompt_none_without_a_link_is_interaction_required(app: Flask, client: FlaskClient) -> None:
    """OIDC Core section 3.1.2.6: interaction_required when the OP needs the End-User to do something."""
    rp = _council_tax_service()
    signed_in_user(client)
    assert redirect_params(authorize(client, rp, scope="openid", prompt="none"))["error"] == "interaction_required"


def test_a_service_without_linking_is_not_affected(app: Flask, client: FlaskClient) -> None:
    rp = make_rp(organisation_type="council_service", first_party=True, scope="openid")
    signed_in_user(client)
    assert "code" in redirect_params(authorize(client, rp, scope="openid"))


def test_the_account_shows_linked_services_with_their_last_use(app: Flask, client: FlaskClient) -> None:
    """Issue 5: the link is shown with its last-used date."""
    rp = _council_tax_service()
    signed_in_user(client)
    _link(client, rp, RIGHT)
    page = client.get("/account/linked-services").get_data(as_text=True)
    last_used = _links()[0].last_used_at.strftime("%-d %B %Y, %H:%M")
    assert "Council Tax" in page and last_used in page


def test_a_removed_link_is_asked_for_again(app: Flask, client: FlaskClient) -> None:
    """Issue 5: the link can be removed (then the service asks again next time)."""
    rp = _council_tax_service()
    signed_in_user(client)
    _link(client, rp, RIGHT)
    link_id = _links()[0].id
    post_form(client, f"/account/linked-services/{link_id}/remove", {}, page_url="/account/linked-services")
    assert _links() == []
    _link_page(authorize(client, rp, scope="openid"))


def test_a_citizen_cannot_remove_someone_elses_link(app: Flask, client: FlaskClient) -> None:
    rp = _council_tax_service()
    owner = create_user(email="owner@example.org")
    record = db.session.query(ServiceRecord).one()
    db.session.add(ServiceLink(user_id=owner.id, client_id=rp.client_id, record_id=record.id))
    db.session.commit()
    signed_in_user(client)
    url = f"/account/linked-services/{_links()[0].id}/remove"
    post_form(client, url, {}, page_url="/account/password")  # their own page lists no links to take a form from
    assert len(_links()) == 1


def test_the_cli_loads_a_services_records_and_turns_linking_on(app: Flask, tmp_path: Path) -> None:
    """Issue 5 (brief): `logbook clients import-service-records <client_id> <csv>`."""
    rp = make_rp(organisation_type="council_service", first_party=True, scope="openid", name="Housing")
    csv_file = tmp_path / "tenancies.csv"
    csv_file.write_text("reference,check\nT-0001,27/03/1985\nT-0002,1990-01-31\n")
    result = app.test_cli_runner().invoke(
        args=["clients", "import-service-records", rp.client_id, str(csv_file), "--fact", "tenancy"]
    )
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert {(r.reference, r.check_value) for r in db.session.query(ServiceRecord)} == {
        ("T0001", "1985-03-27"),
        ("T0002", "1990-01-31"),
    }
    assert rp.client.service_link_fact == "tenancy"


def test_the_cli_refuses_a_file_with_a_bad_row_and_loads_nothing(app: Flask, tmp_path: Path) -> None:
    rp = make_rp(organisation_type="council_service", first_party=True, scope="openid")
    csv_file = tmp_path / "tenancies.csv"
    csv_file.write_text("reference,check\nT-0001,27/03/1985\nT-0002,not a date\n")
    result = app.test_cli_runner().invoke(
        args=["clients", "import-service-records", rp.client_id, str(csv_file), "--fact", "tenancy"]
    )
    assert result.exit_code != 0 and "Line 3" in result.output
    assert db.session.query(ServiceRecord).count() == 0


def test_a_nul_in_the_client_id_is_not_found(app: Flask, client: FlaskClient) -> None:
    """PostgreSQL refuses NUL in a text parameter: the lookup must not reach the database (issue 2)."""
    signed_in_user(client)
    assert client.get("/link-service?client_id=a%00b").status_code == 404
