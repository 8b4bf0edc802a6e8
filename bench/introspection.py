"""Token introspection (RFC 7662): a client asks about an active access token it holds.

.venv/bin/python -m bench.introspection [--duration 10 --concurrency 32 --workers 3 --profile]
.venv/bin/python -m bench.introspection --peer http://127.0.0.1:3000 --client-id X --client-secret Y
"""

from __future__ import annotations

from bench.harness import LogbookServer, common_arguments, measure, report
from bench.workloads import BENCH_SCOPE, introspection_request, seed_service_client

NAME = "introspection"


def main() -> None:
    args = common_arguments(__doc__ or NAME).parse_args()
    scope = args.scope or BENCH_SCOPE
    if args.peer:
        request = introspection_request(args.peer, args.client_id, args.client_secret, scope)
        report(measure(NAME, request, args), args.json)
        return
    with LogbookServer(workers=args.workers, threads=args.threads) as server:
        client_id, secret = server.seed(lambda app: seed_service_client(app, scope))
        server.start()
        args.server_pids = server.worker_pids()
        pids = args.server_pids if args.profile else None
        summary = measure(NAME, introspection_request(server.url, client_id, secret, scope), args, pids)
        summary["server"] = server.describe()
        report(summary, args.json)


if __name__ == "__main__":
    main()
