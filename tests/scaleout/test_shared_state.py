"""Issue 7: "two server processes on different ports share one PostgreSQL and Redis; a citizen signs in on
one and the session, consent revocation, refresh-token reuse detection, code single-use and rate limits
hold across both." Instance A and instance B are the same code; one browser (one cookie jar) talks to both,
as it would behind a load balancer without sticky sessions."""

from __future__ import annotations

import secrets

import requests

from tests.flows import run_code_flow
from tests.oauth.helpers import exchange, get_code, make_rp, refresh, signed_in_user
from tests.scaleout.conftest import SIGN_IN_LIMIT, Instances
from tests.web_helpers import sign_in

TENANCY_RECORDS = "/api/v1/vault/modules/tenancy/records"


def unique_email() -> str:
    return f"citizen-{secrets.token_hex(4)}@example.org"


def bearer(tokens: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def test_a_citizen_signed_in_on_one_instance_is_signed_in_on_the_other(instances: Instances) -> None:
    """DESIGN: "several WSGI workers and hosts behind a load balancer; nothing that must be shared lives
    in process memory" — the sign-in session is the database's, not instance A's."""
    browser = requests.Session()
    a, b = instances.client("a", browser), instances.client("b", browser)
    assert b.get("/account").status_code == 302  # not signed in yet: sent to sign in
    with instances.app_context():
        signed_in_user(a, email=unique_email())
    assert b.get("/account").status_code == 200


def test_consent_revoked_on_one_instance_is_refused_by_the_vault_on_the_other(instances: Instances) -> None:
    """Consent: "Revocation is immediate: the live grant is checked on every vault call" — on every host."""
    from sqlalchemy import select

    from consent.models import Grant
    from idp.extensions import db
    from tests.web_helpers import post_form

    browser = requests.Session()
    a, b = instances.client("a", browser), instances.client("b", browser)
    scope = "openid vault:tenancy:read"
    with instances.app_context():
        rp, tokens = run_code_flow(
            a, scope=scope, organisation_type="landlord", email=unique_email(), allowed_modules=["tenancy"]
        )
        grant_id = db.session.scalar(select(Grant.id).where(Grant.client_id == rp.client_id))
    assert b.get(TENANCY_RECORDS, headers=bearer(tokens)).status_code == 200
    assert post_form(a, f"/sharing/{grant_id}/revoke", {}).status_code in (302, 303)
    assert b.get(TENANCY_RECORDS, headers=bearer(tokens)).status_code in (401, 403)


def test_a_refresh_token_rotated_on_one_instance_and_replayed_on_the_other_revokes_the_family(
    instances: Instances,
) -> None:
    """RFC 9700 section 4.14.2: if a refresh token is used twice, the server revokes the active one —
    whichever instance sees the second use."""
    browser = requests.Session()
    a, b = instances.client("a", browser), instances.client("b", browser)
    with instances.app_context():
        rp, first = run_code_flow(a, email=unique_email())
    second = refresh(a, rp, first["refresh_token"]).get_json()
    replay = refresh(b, rp, first["refresh_token"])
    assert replay.status_code == 400 and replay.get_json()["error"] == "invalid_grant"
    assert refresh(b, rp, second["refresh_token"]).get_json()["error"] == "invalid_grant"
    assert b.get("/userinfo", headers=bearer(second)).status_code == 401


def test_an_authorization_code_redeemed_on_one_instance_cannot_be_redeemed_on_the_other(
    instances: Instances,
) -> None:
    """RFC 6749 section 4.1.2: the client MUST NOT use the authorization code more than once; if it is
    used more than once, the server SHOULD revoke all tokens previously issued based on it."""
    browser = requests.Session()
    a, b = instances.client("a", browser), instances.client("b", browser)
    with instances.app_context():
        rp = make_rp(organisation_type="council_service")
        signed_in_user(a, email=unique_email())
    code = get_code(a, rp)
    first = exchange(a, rp, code)
    assert first.status_code == 200
    second = exchange(b, rp, code)
    assert second.status_code == 400 and second.get_json()["error"] == "invalid_grant"
    assert b.get("/userinfo", headers=bearer(first.get_json())).status_code == 401


def test_failed_sign_ins_count_across_instances(instances: Instances) -> None:
    """Accounts: "Rate limits (Flask-Limiter) ... so that several workers share counters through Redis".
    With a limit of 4 failures per account, two on each instance use it up for both."""
    limit = int(SIGN_IN_LIMIT.split()[0])
    email = unique_email()
    with instances.app_context():
        from tests.builders import create_user

        create_user(email=email)
    for attempt in range(limit):
        http = instances.client("a" if attempt % 2 == 0 else "b")
        assert sign_in(http, email, "not the password").status_code == 400
    assert sign_in(instances.client("a"), email, "not the password").status_code == 429
    assert sign_in(instances.client("b"), email, "not the password").status_code == 429


def test_a_client_disabled_elsewhere_is_refused_at_once_by_both_instances(instances: Instances) -> None:
    """clients.services.disable_client: "Refuse the client everywhere from now on" — also on instances
    that cached the client a moment ago (idp.oauth2.server.query_client)."""
    from clients.services import disable_client, find_client

    data = {"grant_type": "client_credentials"}
    with instances.app_context():
        rp = make_rp(grant_types=["client_credentials"], redirect_uris=[], scope="vault:tenancy:write")
    for name in ("a", "b"):
        assert instances.client(name).post("/oauth2/token", data=data, auth=rp.basic).status_code == 200
    with instances.app_context():
        disable_client(find_client(rp.client_id))  # type: ignore[arg-type]
    for name in ("a", "b"):
        assert instances.client(name).post("/oauth2/token", data=data, auth=rp.basic).status_code == 401
