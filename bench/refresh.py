"""Refresh-token rotation: a relying party trades its refresh token for new tokens (and a new refresh
token, the old one spent), over and over.

    .venv/bin/python -m bench.refresh [--duration 10 --concurrency 16 --workers 3 --threads 1]

Seeds like ``bench.code_flow`` (a signed-in citizen, a first-party service); each connection gets its
refresh token from one code flow, outside the measured time, then only refreshes.
"""

from __future__ import annotations

from typing import Any

from bench.code_flow import code_and_tokens, post_token, seed_citizen_and_service
from bench.harness import LogbookServer, common_arguments, cpu_seconds, discovery, report, run
from bench.loadgen import run_flows

NAME = "refresh (rotation)"


def make_refresh(issuer: str, seed: dict[str, str]) -> Any:
    meta = discovery(issuer)
    spare: list[str] = []  # refresh tokens not in use by any connection right now

    async def refresh(session: Any) -> None:
        token = spare.pop() if spare else (await code_and_tokens(session, meta, seed))["refresh_token"]
        answer = await post_token(session, meta, seed, {"grant_type": "refresh_token", "refresh_token": token})
        spare.append(answer["refresh_token"])

    return refresh


def main() -> None:
    args = common_arguments(__doc__ or NAME).parse_args()
    with LogbookServer(workers=args.workers, threads=args.threads) as server:
        seed = server.seed(seed_citizen_and_service)
        server.start()
        refresh = make_refresh(server.url, seed)
        run(run_flows(NAME, refresh, duration=max(1.0, args.warmup), concurrency=args.concurrency, warmup=0))
        pids = server.worker_pids()
        before = cpu_seconds(pids)
        summary = run(run_flows(NAME, refresh, args.duration, args.concurrency, warmup=0)).summary()
        summary["server_cpu_ms_per_request"] = round(
            1000 * (cpu_seconds(pids) - before) / max(1, summary["requests"]), 3
        )
        summary["server"] = server.describe()
        report(summary, args.json)


if __name__ == "__main__":
    main()
