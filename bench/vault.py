"""Vault API reads: a partner's client reads a citizen's module of 20 records with a bearer token.

.venv/bin/python -m bench.vault [--duration 10 --concurrency 16 --workers 2 --threads 1]

Starts gunicorn on loopback with its own temporary SQLite file and keys (``bench.harness``), configured as
Logbook ships it (``idp/ops/gunicorn_conf.py``: worker class, workers, threads; flags override), seeds one
citizen with 20 tenancy records and an access token for ``vault:tenancy:read``, loads
``GET /api/v1/vault/modules/tenancy/records`` at fixed concurrency for a fixed time, prints reads/s,
p50 and p99, and stops everything. Target (DESIGN.md costs table): p99 < 25 ms and >= 500 reads/s at
16 concurrent clients on 2 cores.
"""

from __future__ import annotations

import time
from typing import Any

from bench.harness import LogbookServer, common_arguments, measure, report
from bench.loadgen import Request

NAME = "vault read (20 records)"
MODULE = "tenancy"
RECORDS = 20


def seed_citizen_with_module(app: Any) -> str:
    """One citizen, one landlord client the citizen consented to, 20 records in one module, and a
    one-hour read token under that consent."""
    from clients.services import create_client, create_organisation
    from idp.accounts.models import User
    from idp.extensions import db
    from idp.oauth2.access_tokens import issue_access_token
    from vault import services

    citizen = User(email="bench-citizen@example.org")
    db.session.add(citizen)
    db.session.commit()
    landlord = create_organisation("Bench housing association", "landlord")
    redirect_uris = ["https://landlord.example/callback"]
    scope = f"vault:{MODULE}:read"
    client, _ = create_client("Bench landlord portal", landlord, redirect_uris=redirect_uris, scope=f"openid {scope}")
    for number in range(RECORDS):
        services.create_record(citizen.id, MODULE, _repair(number), services.Provenance.citizen())
    issued = issue_access_token(
        client.client_id,
        citizen.id,
        {scope},
        user_id=citizen.id,
        auth_time=int(time.time()),
        acr="urn:logbook:acr:password",
        amr=["pwd"],
        lifetime=3600,
        grant_id=_consent(citizen, client, scope),
    )
    return issued.token


def _consent(citizen: Any, client: Any, scope: str) -> str:
    """The citizen allows the client to read the module, as on the consent page."""
    from consent import services as consent

    prompt = consent.missing_consent(citizen, client, {scope})
    if prompt is not None:
        consent.record_consent(citizen, client, prompt.decide(prompt.missing))
    grant = consent.live_grant(citizen.id, client.client_id)
    assert grant is not None
    return str(grant.id)


def _repair(number: int) -> dict[str, Any]:
    return {
        "kind": "repair",
        "reported_on": f"2025-01-{number + 1:02d}",
        "description": f"Repair {number}: the kitchen tap drips and the seal around the bath needs replacing.",
        "repair_reference": f"R-{10000 + number}",
        "status": "reported",
    }


def main() -> None:
    parser = common_arguments(__doc__ or NAME)
    parser.set_defaults(concurrency=16)
    args = parser.parse_args()
    with LogbookServer(workers=args.workers, threads=args.threads) as server:
        token = server.seed(seed_citizen_with_module)
        server.start()
        url = f"{server.url}/api/v1/vault/modules/{MODULE}/records"
        request = Request("GET", url, {"Authorization": f"Bearer {token}", "Accept": "application/json"})
        args.server_pids = server.worker_pids()
        pids = args.server_pids if args.profile else None
        summary = measure(NAME, request, args, pids)
        summary["server"] = server.describe()
        report(summary, args.json)


if __name__ == "__main__":
    main()
