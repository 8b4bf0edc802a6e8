"""Pages read form fields only: a JSON body or an uploaded file where a form is expected is answered like
an empty form (400 with the page's own messages), never a 500 (issue 2)."""

from __future__ import annotations

from io import BytesIO

from flask import Flask
from flask.testing import FlaskClient

from tests.web_helpers import csrf_token


def test_a_json_list_posted_to_a_form_page_is_an_empty_form(app: Flask, client: FlaskClient) -> None:
    token = csrf_token(client, "/reset-password")
    response = client.post("/reset-password", json=[1, 2], headers={"X-CSRFToken": token})
    assert response.status_code == 400
    assert "govuk-error-summary" in response.get_data(as_text=True)


def test_json_members_of_the_wrong_type_are_not_read_as_form_fields(app: Flask, client: FlaskClient) -> None:
    token = csrf_token(client, "/register")
    response = client.post("/register", json={"email": 42, "password": ["a"]}, headers={"X-CSRFToken": token})
    assert response.status_code == 400
    assert "govuk-error-summary" in response.get_data(as_text=True)


def test_a_file_uploaded_in_a_text_field_is_not_read(app: Flask, client: FlaskClient) -> None:
    token = csrf_token(client, "/reset-password")
    data = {"contact": (BytesIO(b"\x00\xff"), "contact.bin"), "csrf_token": token}
    response = client.post("/reset-password", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "govuk-error-summary" in response.get_data(as_text=True)


def test_a_form_body_still_reaches_the_form(app: Flask, client: FlaskClient) -> None:
    data = {"contact": "someone@example.org", "csrf_token": csrf_token(client, "/reset-password")}
    assert client.post("/reset-password", data=data).status_code == 302
