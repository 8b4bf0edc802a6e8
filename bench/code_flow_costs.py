"""SQL statements and CPU per step of the authorization-code flow, in one process (no HTTP server).

    .venv/bin/python -m bench.code_flow_costs [--flows 300] [--show-sql]

The same flow as ``bench.code_flow`` (a signed-in citizen, a first-party council service, PKCE S256):
authorize, token, userinfo, each through the app's WSGI callable. Counts the statements each step sends
to the database (a SQLAlchemy ``before_cursor_execute`` listener, commits apart) and measures process CPU
time per step, which stays meaningful on a machine that other work is using.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import hashlib
import io
import json
import logging
import os
import pstats
import secrets
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from sqlalchemy import event
from werkzeug.test import EnvironBuilder

from bench.code_flow import REDIRECT_URI, SCOPE, seed_citizen_and_service
from bench.workloads import FORM, basic_auth

STEPS = ("authorize", "token", "userinfo")


class Counter:
    def __init__(self, show: bool) -> None:
        self.show, self.statements, self.commits = show, 0, 0

    def on_execute(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.statements += 1
        if self.show:
            print("   ", " ".join(statement.split())[:160])

    def on_commit(self, conn: Any) -> None:
        self.commits += 1


def count_prepared(counter: Counter) -> None:
    """Prepared statements (``idp.prepared``) run on the DBAPI connection, out of SQLAlchemy's events:
    counted (and shown, marked) here too."""
    from idp.prepared import Prepared

    execute = Prepared.execute

    def counted(self: Prepared, params: Any = None) -> list[Any]:
        shown = str(self.statement.compile(column_keys=self.column_keys)) if counter.show else ""
        counter.on_execute(None, None, "[prepared] " + shown)
        return execute(self, params)

    Prepared.execute = counted  # type: ignore[method-assign]


def call(app: Any, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> tuple[str, dict, bytes]:
    environ = EnvironBuilder(path=path, method=method, headers=headers, data=body).get_environ()
    environ["wsgi.input"] = io.BytesIO(body)
    answer: list[Any] = []
    chunks = app(environ, lambda status, response_headers, exc=None: answer.extend([status, dict(response_headers)]))
    data = b"".join(chunks)
    getattr(chunks, "close", lambda: None)()
    return answer[0], answer[1], data


def flow_steps(app: Any, seed: dict[str, str]) -> list[Callable[[dict[str, Any]], None]]:
    """The three requests of one flow; each passes what the next needs through ``state``."""

    def authorize(state: dict[str, Any]) -> None:
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        query = {"response_type": "code", "client_id": seed["client_id"], "redirect_uri": REDIRECT_URI}
        query |= {"scope": SCOPE, "state": "s", "nonce": "n", "code_challenge": challenge}
        query["code_challenge_method"] = "S256"
        status, headers, body = call(app, "GET", "/authorize?" + urlencode(query), {"Cookie": seed["cookie"]})
        assert status.startswith("302"), (status, body[:300])
        state["code"], state["verifier"] = parse_qs(urlsplit(headers["Location"]).query)["code"][0], verifier

    def token(state: dict[str, Any]) -> None:
        form = {"grant_type": "authorization_code", "code": state["code"], "redirect_uri": REDIRECT_URI}
        form["code_verifier"] = state["verifier"]
        headers = {"Authorization": basic_auth(seed["client_id"], seed["secret"]), "Content-Type": FORM}
        status, _, body = call(app, "POST", "/oauth2/token", headers, urlencode(form).encode())
        assert status.startswith("200"), (status, body[:300])
        state["access_token"] = json.loads(body)["access_token"]

    def userinfo(state: dict[str, Any]) -> None:
        status, _, body = call(app, "GET", "/userinfo", {"Authorization": f"Bearer {state['access_token']}"})
        assert status.startswith("200"), (status, body[:300])

    return [authorize, token, userinfo]


BATCH = 20


def run_batch(
    steps: list[Callable[[dict[str, Any]], None]], flows: int, profiler: Any, profiled: str | None
) -> dict[str, float]:
    """CPU seconds per flow of each step (and of the whole flow) over ``flows`` flows."""
    cpu = dict.fromkeys(STEPS, 0.0)
    for _ in range(flows):
        state: dict[str, Any] = {}
        for name, step in zip(STEPS, steps, strict=True):
            started = time.process_time()
            if profiler is not None and name == profiled:
                profiler.runcall(step, state)
            else:
                step(state)
            cpu[name] += time.process_time() - started
    per_flow = {name: seconds / flows for name, seconds in cpu.items()}
    per_flow["flow"] = sum(per_flow.values())
    return per_flow


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--flows", type=int, default=300)
    parser.add_argument("--show-sql", action="store_true", help="print each statement of one flow")
    parser.add_argument("--profile", choices=STEPS, help="cProfile this step over the flows; print the top")
    args = parser.parse_args()
    from idp.app import create_app
    from idp.extensions import db

    folder = Path(tempfile.mkdtemp(prefix="logbook-flow-costs-"))
    config = {"ENV_NAME": "development", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'db.sqlite'}"}
    app = create_app({**config, "KEYS_DIR": folder / "keys", "ISSUER": "http://localhost", "ACCESS_LOG": False})
    logging.getLogger().handlers[0].setStream(open(os.devnull, "w"))  # noqa: SIM115 - lives as long as the run
    with app.app_context():
        db.create_all()
        seed = seed_citizen_and_service(app)
        engine = db.engine
    steps = flow_steps(app, seed)
    counter = Counter(args.show_sql)
    event.listen(engine, "before_cursor_execute", counter.on_execute)
    event.listen(engine, "commit", counter.on_commit)
    count_prepared(counter)
    state: dict[str, Any] = {}
    for name, step in zip(STEPS, steps, strict=True):
        if args.show_sql:
            print(f"{name}:")
        before = (counter.statements, counter.commits)
        step(state)
        print(f"{name:10s} {counter.statements - before[0]:3d} statements, {counter.commits - before[1]} commits")
    counter.show = False
    profiler = cProfile.Profile() if args.profile else None
    batches = [run_batch(steps, BATCH, profiler, args.profile) for _ in range(max(1, args.flows // BATCH))]
    # The mean over every flow, and the best batch's: on a shared machine other work inflates CPU time too
    # (caches, frequency), so the best batch is the steadier figure to compare changes by.
    print(f"{'':10s} {'mean':>8s} {'best ' + str(BATCH):>10s}  (µs CPU per step)")
    for name in (*STEPS, "flow"):
        mean = sum(batch[name] for batch in batches) / len(batches)
        print(f"{name:10s} {mean * 1e6:8.0f} {min(batch[name] for batch in batches) * 1e6:10.0f}")
    if profiler is not None:
        print(f"\n{args.profile} under cProfile (times inflated by the profiler; shares are what matter):")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)


if __name__ == "__main__":
    main()
