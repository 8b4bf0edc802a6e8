"""The vault API: a resource server for the provider's access tokens (RFC 6750, RFC 9068)."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from idp.extensions import db
from idp.oauth2.tokens import revoke_access_token
from tests.builders import create_user
from tests.vault.helpers import TENANCY, bearer, landlord, token_for
from vault import services
from vault.services import Provenance

RECORDS = "/api/v1/vault/modules/tenancy/records"


def test_a_token_with_read_scope_reads_the_citizens_records(app: Flask, client: FlaskClient) -> None:
    user = create_user()
    record = services.create_record(user.id, "tenancy", TENANCY, Provenance.citizen())
    response = client.get(RECORDS, headers=bearer(token_for(user, landlord(), "vault:tenancy:read")))
    assert response.status_code == 200
    assert [(r["id"], r["data"]) for r in response.get_json()["records"]] == [(record.id, TENANCY)]


def test_a_module_read_answers_each_record_as_the_record_view_describes_it(app: Flask, client: FlaskClient) -> None:
    """The API writes a module read's JSON itself (the hot path): it must match ``RecordView.as_json``."""
    user, portal = create_user(), landlord()
    welsh = {**TENANCY, "landlord": 'Tai "Cymru" \u2014 T\u0177 Newydd \\ Ltd'}
    services.create_record(user.id, "tenancy", TENANCY, Provenance.citizen())
    attested = services.create_record(user.id, "tenancy", welsh, Provenance.attested(portal.client_id, 'Tai "Cymru"'))
    services.update_record(user.id, "tenancy", attested.id, {**welsh, "rent_amount": 460}, Provenance.citizen())
    services.create_record(user.id, "tenancy", welsh, Provenance.attested(portal.client_id, "T\u0177 \\ </script>"))
    response = client.get(RECORDS, headers=bearer(token_for(user, portal, "vault:tenancy:read")))
    assert response.status_code == 200 and response.mimetype == "application/json"
    expected = [record.as_json() for record in services.list_records(user.id, "tenancy")]
    assert response.get_json() == {"module": "tenancy", "records": expected}
    assert len(expected) == 3


def test_an_empty_module_reads_as_no_records(app: Flask, client: FlaskClient) -> None:
    response = client.get(RECORDS, headers=bearer(token_for(create_user(), landlord(), "vault:tenancy:read")))
    assert response.status_code == 200 and response.get_json() == {"module": "tenancy", "records": []}


def test_every_response_forbids_caching(app: Flask, client: FlaskClient) -> None:
    """Responses carry Cache-Control: no-store."""
    user = create_user()
    ok = client.get(RECORDS, headers=bearer(token_for(user, landlord(), "vault:tenancy:read")))
    refused = client.get(RECORDS)
    assert ok.headers["Cache-Control"] == refused.headers["Cache-Control"] == "no-store"


def test_a_request_without_a_token_is_challenged_without_an_error_code(client: FlaskClient) -> None:
    """RFC 6750 section 3.1: a request lacking authentication information should carry no error code."""
    response = client.get(RECORDS)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="logbook-vault"'


def test_a_forged_token_is_an_invalid_token(client: FlaskClient) -> None:
    response = client.get(RECORDS, headers=bearer("eyJhbGciOiJub25lIn0.e30."))
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_a_revoked_token_is_an_invalid_token(app: Flask, client: FlaskClient) -> None:
    from idp.oauth2.access_tokens import verify_access_token

    token = token_for(create_user(), landlord(), "vault:tenancy:read")
    revoke_access_token(verify_access_token(token, "http://localhost/api/v1/vault").jti)
    assert client.get(RECORDS, headers=bearer(token)).status_code == 401


def test_a_token_without_the_modules_scope_gets_insufficient_scope(app: Flask, client: FlaskClient) -> None:
    """Every call checks scope vault:<module>:read|write; errors follow RFC 6750 (insufficient_scope)."""
    token = token_for(create_user(), landlord(), "vault:money:read")
    response = client.get(RECORDS, headers=bearer(token))
    assert response.status_code == 403
    challenge = response.headers["WWW-Authenticate"]
    assert 'error="insufficient_scope"' in challenge and 'scope="vault:tenancy:read"' in challenge


def test_read_scope_does_not_allow_writing(app: Flask, client: FlaskClient) -> None:
    user = create_user()
    response = client.post(RECORDS, json=TENANCY, headers=bearer(token_for(user, landlord(), "vault:tenancy:read")))
    assert response.status_code == 403
    assert services.list_records(user.id, "tenancy") == []


def test_a_write_by_a_client_is_attested_by_its_organisation(app: Flask, client: FlaskClient) -> None:
    """Provenance: each record says who asserted it (an organisation's client that attested it)."""
    user, portal = create_user(), landlord()
    response = client.post(RECORDS, json=TENANCY, headers=bearer(token_for(user, portal, "vault:tenancy:write")))
    assert response.status_code == 201
    (stored,) = services.list_records(user.id, "tenancy")
    assert response.headers["Location"].endswith(f"{RECORDS}/{stored.id}")
    assert stored.provenance.client_id == portal.client_id
    assert stored.provenance.attester_name == "Riverside Homes portal organisation"


def test_an_update_through_the_api_makes_a_new_version(app: Flask, client: FlaskClient) -> None:
    user = create_user()
    record = services.create_record(user.id, "tenancy", TENANCY, Provenance.citizen())
    token = token_for(user, landlord(), "vault:tenancy:write")
    response = client.put(
        f"{RECORDS}/{record.id}", json={**TENANCY, "rent_amount": 460}, headers={**bearer(token), "If-Match": '"v1"'}
    )
    assert response.status_code == 200 and response.headers["ETag"] == '"v2"'
    assert [v.version for v in services.history(user.id, "tenancy", record.id)] == [2, 1]


def test_an_update_against_a_stale_version_is_refused(app: Flask, client: FlaskClient) -> None:
    user = create_user()
    record = services.create_record(user.id, "tenancy", TENANCY, Provenance.citizen())
    services.update_record(user.id, "tenancy", record.id, {**TENANCY, "rent_amount": 1}, Provenance.citizen())
    token = token_for(user, landlord(), "vault:tenancy:write")
    response = client.put(f"{RECORDS}/{record.id}", json=TENANCY, headers={**bearer(token), "If-Match": '"v1"'})
    assert response.status_code == 409


def test_an_invalid_record_is_refused_naming_the_field(app: Flask, client: FlaskClient) -> None:
    """Records are validated against the schema on every write; a rejected write names the field."""
    user = create_user()
    token = token_for(user, landlord(), "vault:tenancy:write")
    response = client.post(RECORDS, json={**TENANCY, "rent_amount": "lots"}, headers=bearer(token))
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"rent_amount": "Rent amount must be a number"}
    assert services.list_records(user.id, "tenancy") == []


def test_a_kind_that_is_not_a_string_is_refused_naming_the_kind(app: Flask, client: FlaskClient) -> None:
    token = token_for(create_user(), landlord(), "vault:tenancy:write")
    for kind in (["tenancy"], {"tenancy": 1}, 7, None):
        response = client.post(RECORDS, json={**TENANCY, "kind": kind, "extra": 1}, headers=bearer(token))
        assert response.status_code == 422 and "kind" in response.get_json()["errors"], kind


def test_a_body_that_is_not_a_json_object_is_an_invalid_request(app: Flask, client: FlaskClient) -> None:
    token = token_for(create_user(), landlord(), "vault:tenancy:write")
    response = client.post(RECORDS, data="[1, 2]", content_type="application/json", headers=bearer(token))
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_request"


def test_a_token_for_one_citizen_never_reaches_another_citizens_records(app: Flask, client: FlaskClient) -> None:
    """A token for one user can never reach another user's records whatever the path or parameters say."""
    alice, bob, portal = create_user("alice@example.org"), create_user("bob@example.org"), landlord()
    bobs = services.create_record(bob.id, "tenancy", TENANCY, Provenance.citizen())
    token = token_for(alice, portal, "vault:tenancy:read", "vault:tenancy:write")
    assert client.get(RECORDS, headers=bearer(token), query_string={"user_id": bob.id}).get_json()["records"] == []
    assert client.get(f"{RECORDS}/{bobs.id}", headers=bearer(token)).status_code == 404
    assert client.put(f"{RECORDS}/{bobs.id}", json=TENANCY, headers=bearer(token)).status_code == 404
    assert [v.data for v in services.history(bob.id, "tenancy", bobs.id)] == [TENANCY]


def test_a_record_cannot_be_read_through_another_modules_path(app: Flask, client: FlaskClient) -> None:
    user = create_user()
    record = services.create_record(user.id, "tenancy", TENANCY, Provenance.citizen())
    token = token_for(user, landlord(), "vault:money:read")
    assert client.get(f"/api/v1/vault/modules/money/records/{record.id}", headers=bearer(token)).status_code == 404


def test_the_module_list_shows_only_modules_the_token_may_read(app: Flask, client: FlaskClient) -> None:
    """List modules the token may see."""
    token = token_for(create_user(), landlord(), "vault:tenancy:read", "vault:money:write")
    response = client.get("/api/v1/vault/modules", headers=bearer(token))
    assert [module["name"] for module in response.get_json()["modules"]] == ["tenancy"]


def test_an_unknown_module_is_not_found(app: Flask, client: FlaskClient) -> None:
    token = token_for(create_user(), landlord(), "vault:tenancy:read")
    assert client.get("/api/v1/vault/modules/secrets/records", headers=bearer(token)).status_code == 404


def test_every_read_and_write_by_a_client_is_in_the_access_log(app: Flask, client: FlaskClient) -> None:
    """Every vault read or write by a client is logged (who, which module, when, under which grant)."""
    from consent.models import AccessEvent

    user, portal = create_user(), landlord()
    token = token_for(user, portal, "vault:tenancy:read", "vault:tenancy:write")
    client.post(RECORDS, json=TENANCY, headers=bearer(token))
    client.get(RECORDS, headers=bearer(token))
    client.get(RECORDS, headers=bearer(token_for(user, portal, "vault:money:read")))  # refused: not logged
    events = db.session.scalars(db.select(AccessEvent).order_by(AccessEvent.seq)).all()
    assert [(e.user_id, e.client_id, e.module, e.action) for e in events] == [
        (user.id, portal.client_id, "tenancy", "write"),
        (user.id, portal.client_id, "tenancy", "read"),
    ]
