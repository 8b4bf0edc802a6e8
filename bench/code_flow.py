"""The full authorization-code flow with PKCE for a signed-in citizen: authorize (a 302 with a code),
token (code + verifier, client_secret_basic), userinfo (bearer) — one flow = three requests.

    .venv/bin/python -m bench.code_flow [--duration 10 --concurrency 16 --workers 3 --threads 1] [--client aiohttp]

The relying party is one of the council's own services (first-party: no consent page for sign-in), so
the flow is the steady state of single sign-on; the citizen's browser session is made once through
``idp.accounts.sessions.start_session`` and sent as its cookie. Target (issue 7): above 300 flows/s.
Prints flows/s and the latency of a whole flow.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from bench.code_flow_client import make_lean_flow
from bench.harness import LogbookServer, Profiler, common_arguments, cpu_seconds, discovery, report, run
from bench.loadgen import run_flows
from bench.workloads import basic_auth

NAME = "code_flow (authorize + token + userinfo)"
REDIRECT_URI = "https://council-tax.example.gov.uk/callback"
SCOPE = "openid profile email"


def seed_citizen_and_service(app: Any) -> dict[str, str]:
    """A signed-in citizen (its session cookie) and a first-party council service client."""
    from flask import session

    from clients.services import create_client, create_organisation
    from idp.accounts.models import User
    from idp.accounts.sessions import start_session
    from idp.authn.levels import ACR_PASSWORD
    from idp.database import utcnow
    from idp.extensions import db

    citizen = User(email="bench-citizen@example.org", given_name="Ada", family_name="Lovelace")
    citizen.email_verified_at = utcnow()
    db.session.add(citizen)
    db.session.commit()
    council = create_organisation("Bench council", "council_service")
    client, secret = create_client("Council tax", council, redirect_uris=[REDIRECT_URI], scope=SCOPE)
    with app.test_request_context("/"):
        start_session(citizen, ACR_PASSWORD.value, ["pwd"])
        cookie = app.session_interface.get_signing_serializer(app).dumps(dict(session))
    return {
        "cookie": f"{app.config['SESSION_COOKIE_NAME']}={cookie}",
        "client_id": client.client_id,
        "secret": secret or "",
    }


async def code_and_tokens(session: Any, meta: dict[str, Any], seed: dict[str, str]) -> dict[str, Any]:
    """Authorize (the citizen's cookie, PKCE S256) and redeem the code: the token response."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = urlencode(
        {
            "response_type": "code",
            "client_id": seed["client_id"],
            "redirect_uri": REDIRECT_URI,
            "scope": SCOPE,
            "state": secrets.token_urlsafe(12),
            "nonce": secrets.token_urlsafe(12),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    authorize_url = f"{meta['authorization_endpoint']}?{query}"
    async with session.get(authorize_url, headers={"Cookie": seed["cookie"]}, allow_redirects=False) as answer:
        location = answer.headers.get("Location", "")
        if answer.status != 302 or not location.startswith(REDIRECT_URI):
            raise RuntimeError(f"authorize answered {answer.status}: {location or await answer.text()}")
    code = parse_qs(urlsplit(location).query)["code"][0]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, "code_verifier": verifier}
    return await post_token(session, meta, seed, form)


async def post_token(session: Any, meta: dict[str, Any], seed: dict[str, str], form: dict[str, str]) -> dict[str, Any]:
    headers = {"Authorization": basic_auth(seed["client_id"], seed["secret"])}
    async with session.post(meta["token_endpoint"], data=form, headers=headers) as answer:
        if answer.status != 200:
            raise RuntimeError(f"token answered {answer.status}: {await answer.text()}")
        return await answer.json()  # type: ignore[no-any-return]


def make_flow(issuer: str, seed: dict[str, str]) -> Any:
    meta = discovery(issuer)

    async def flow(session: Any) -> None:
        tokens = await code_and_tokens(session, meta, seed)
        bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
        async with session.get(meta["userinfo_endpoint"], headers=bearer) as answer:
            if answer.status != 200:
                raise RuntimeError(f"userinfo answered {answer.status}: {await answer.text()}")
            await answer.read()

    return flow


def _own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def main() -> None:
    parser = common_arguments(__doc__ or NAME)
    parser.add_argument(
        "--client",
        choices=["lean", "aiohttp"],
        default="lean",
        help="the relying party and browser: plain asyncio streams (bench.code_flow_client) or aiohttp",
    )
    args = parser.parse_args()
    with LogbookServer(workers=args.workers, threads=args.threads) as server:
        seed = server.seed(seed_citizen_and_service)
        server.start()
        if args.client == "lean":
            flow = make_lean_flow(discovery(server.url), seed, REDIRECT_URI, SCOPE)
        else:
            flow = make_flow(server.url, seed)
        first = run(run_flows(NAME, flow, duration=1, concurrency=1, warmup=0))
        if first.errors or not first.latencies:
            raise SystemExit(f"{NAME}: the flow fails; see {server.folder / 'server.log'}\n{server.log_tail()}")
        run(run_flows(NAME, flow, duration=args.warmup, concurrency=args.concurrency, warmup=0))
        pids = server.worker_pids()
        before, generator_before = cpu_seconds(pids), _own_cpu_seconds()
        profiler = Profiler(pids, args.duration, Path(tempfile.mkdtemp()) / "code_flow") if args.profile else None
        summary = run(run_flows(NAME, flow, args.duration, args.concurrency, warmup=0)).summary()
        flows = max(1, summary["requests"])
        summary["server_cpu_ms_per_flow"] = round(1000 * (cpu_seconds(pids) - before) / flows, 3)
        # The generator shares the two cores: what it spends per flow is capacity the server does not get.
        summary["generator_cpu_ms_per_flow"] = round(1000 * (_own_cpu_seconds() - generator_before) / flows, 3)
        if profiler is not None:
            summary["profile"] = str(profiler.summarise(profiler.wait()))
        summary["server"] = server.describe()
        summary["client"] = args.client
        report(summary, args.json)


if __name__ == "__main__":
    main()
