"""Password sign-in: GET the form (CSRF token and cookie), POST the right password, expect the redirect.
Bounded by the password hash by design, so the hash's own cost is printed beside the result.

    .venv/bin/python -m bench.sign_in [--duration 10 --concurrency 4 --workers 2]

The per-account and per-address rate limits are lifted for the run (they would stop it after five
attempts a minute); argon2id runs with the configured parameters (LOGBOOK_ARGON2_*).
"""

from __future__ import annotations

import re
import time
from typing import Any

from bench.harness import LogbookServer, common_arguments, cpu_seconds, report, run
from bench.loadgen import run_flows

NAME = "sign-in (password)"
EMAIL = "bench-citizen@example.org"
PASSWORD = "correct horse battery staple bench"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
NO_LIMITS = {
    "LOGBOOK_SIGN_IN_LIMIT_PER_ACCOUNT": "1000000 per minute",
    "LOGBOOK_SIGN_IN_LIMIT_PER_ADDRESS": "1000000 per minute",
}


def seed_citizen(app: Any) -> dict[str, Any]:
    """One verified citizen; also times one argon2id verification with the app's parameters."""
    from idp.accounts.models import User
    from idp.accounts.passwords import hash_password
    from idp.database import utcnow
    from idp.extensions import db

    user = User(email=EMAIL, password_hash=hash_password(PASSWORD), email_verified_at=utcnow())
    db.session.add(user)
    db.session.commit()
    return {"hash_ms": _verify_cost_ms(app, user.password_hash)}


def _verify_cost_ms(app: Any, encoded: str) -> float:
    from argon2 import PasswordHasher

    config = app.config
    hasher = PasswordHasher(config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_COST"], config["ARGON2_PARALLELISM"])
    started = time.perf_counter()
    for _ in range(5):
        hasher.verify(encoded, PASSWORD)
    return round((time.perf_counter() - started) / 5 * 1000, 1)


def make_sign_in(base_url: str) -> Any:
    async def sign_in(session: Any) -> None:
        async with session.get(f"{base_url}/sign-in") as page:
            html = await page.text()
            cookie = "; ".join(f"{morsel.key}={morsel.value}" for morsel in page.cookies.values())
        match = CSRF.search(html)
        if match is None:
            raise RuntimeError("no csrf_token on the sign-in page")
        form = {"contact": EMAIL, "password": PASSWORD, "csrf_token": match.group(1) or match.group(2)}
        async with session.post(
            f"{base_url}/sign-in", data=form, headers={"Cookie": cookie}, allow_redirects=False
        ) as answer:
            if answer.status not in (302, 303):
                raise RuntimeError(f"sign-in answered {answer.status}")

    return sign_in


def main() -> None:
    parser = common_arguments(__doc__ or NAME)
    parser.set_defaults(concurrency=4, workers=2)
    args = parser.parse_args()
    with LogbookServer(workers=args.workers, threads=args.threads, extra_env=NO_LIMITS) as server:
        seed = server.seed(seed_citizen)
        server.start()
        sign_in = make_sign_in(server.url)
        run(run_flows(NAME, sign_in, duration=max(1.0, args.warmup), concurrency=args.concurrency, warmup=0))
        pids = server.worker_pids()
        before = cpu_seconds(pids)
        summary = run(run_flows(NAME, sign_in, args.duration, args.concurrency, warmup=0)).summary()
        flows = max(1, summary["requests"])
        summary["server_cpu_ms_per_sign_in"] = round(1000 * (cpu_seconds(pids) - before) / flows, 3)
        summary["argon2id_verify_ms"] = seed["hash_ms"]
        summary["server"] = server.describe()
        report(summary, args.json)
        if not args.json:
            print(f"  argon2id verify alone: {seed['hash_ms']} ms (wall, one process) per sign-in", flush=True)


if __name__ == "__main__":
    main()
