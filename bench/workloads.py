"""The requests each benchmark sends, written once so that Logbook and the peer get exactly the same ones."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import quote, urlencode

from bench.harness import discovery, run
from bench.loadgen import Request, fetch

FORM = "application/x-www-form-urlencoded"
# A client-credentials client acting for itself (a partner's back office).
BENCH_SCOPE = "vault:support:read"


def basic_auth(client_id: str, secret: str) -> str:
    """RFC 6749 section 2.3.1: form-encode both parts, then base64."""
    return "Basic " + base64.b64encode(f"{quote(client_id, safe='')}:{quote(secret, safe='')}".encode()).decode()


def token_request(issuer: str, client_id: str, secret: str, scope: str) -> Request:
    body = urlencode({"grant_type": "client_credentials", "scope": scope}).encode()
    headers = {"Authorization": basic_auth(client_id, secret), "Content-Type": FORM}
    return Request("POST", discovery(issuer)["token_endpoint"], headers, body)


def introspection_request(issuer: str, client_id: str, secret: str, scope: str) -> Request:
    """RFC 7662: the client introspects a token it was just issued (an active one)."""
    status, body = run(fetch(token_request(issuer, client_id, secret, scope)))
    if status != 200:
        raise SystemExit(f"could not get a token to introspect: {status} {body[:300]!r}")
    token = json.loads(body)["access_token"]
    meta: dict[str, Any] = discovery(issuer)
    headers = {"Authorization": basic_auth(client_id, secret), "Content-Type": FORM, "Accept": "application/json"}
    form = urlencode({"token": token, "token_type_hint": "access_token"}).encode()
    return Request("POST", meta["introspection_endpoint"], headers, form)


def seed_service_client(app: Any, scope: str = BENCH_SCOPE) -> tuple[str, str]:
    """One partner organisation with one client-credentials client, through the registry service."""
    from clients.services import create_client, create_organisation

    organisation = create_organisation("Bench support agency", "support_agency")
    client, secret = create_client("Bench back office", organisation, scope=scope, grant_types=["client_credentials"])
    assert secret is not None
    return client.client_id, secret
