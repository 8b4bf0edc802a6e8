#!/usr/bin/env bash
# Logbook against node-oidc-provider on the same machine, in the same run, with the same requests and the
# same load generator: client-credentials token issue (ES256 JWT access tokens) and introspection.
# Prints each result and the ratio Logbook/peer (target >= 1.0). Everything runs on 127.0.0.1 and stops
# by itself.
#
#   bench/compare.sh                      # defaults: 10 s measured, 32 connections, 2 gunicorn workers x 1 thread (the shipped server)
#   DURATION=20 CONCURRENCY=64 WORKERS=2 THREADS=4 bench/compare.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
DURATION="${DURATION:-10}"
WARMUP="${WARMUP:-3}"
CONCURRENCY="${CONCURRENCY:-32}"
WORKERS="${WORKERS:-2}"
THREADS="${THREADS:-1}"
PEER_VERSION="${PEER_VERSION:-9}"
SCOPE="vault:support:read"

WORK="$(mktemp -d -t logbook-compare-XXXXXX)"
PEER_PID=""
cleanup() {
    if [[ -n "$PEER_PID" ]] && kill -0 "$PEER_PID" 2>/dev/null; then kill "$PEER_PID"; wait "$PEER_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

echo "== $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) cores, $(uname -m), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== installing oidc-provider@$PEER_VERSION from npm into $WORK"
(cd "$WORK" && npm init -y >/dev/null && npm install --no-audit --no-fund --loglevel=error "oidc-provider@$PEER_VERSION" >/dev/null)
echo "   $(cd "$WORK" && node -p "'oidc-provider ' + require('oidc-provider/package.json').version") on node $(node --version)"
cp "$ROOT/bench/peer/oidc_provider.mjs" "$WORK/"

PEER_ID="bench-peer"
PEER_SECRET="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(32))')"
COMMON=(--duration "$DURATION" --warmup "$WARMUP" --concurrency "$CONCURRENCY" --json)

start_peer() {  # $1: access token format (jwt | opaque)
    local port
    port="$("$PY" -c 'from bench.harness import free_port; print(free_port())')"
    (cd "$WORK" && PORT="$port" CLIENT_ID="$PEER_ID" CLIENT_SECRET="$PEER_SECRET" SCOPE="$SCOPE" TOKEN_FORMAT="$1" \
        NODE_ENV=production LIFETIME_SECONDS=$((DURATION * 4 + 120)) node oidc_provider.mjs >"$WORK/peer.log" 2>&1) &
    PEER_PID=$!
    PEER_URL="http://127.0.0.1:$port"
    for _ in $(seq 1 100); do
        curl -fs "$PEER_URL/.well-known/openid-configuration" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    cat "$WORK/peer.log"; echo "the peer did not start" >&2; exit 1
}

stop_peer() {
    kill "$PEER_PID" 2>/dev/null || true
    wait "$PEER_PID" 2>/dev/null || true
    PEER_PID=""
}

node_pid() {  # the node process itself (its parent is the subshell started in the background)
    pgrep -P "$PEER_PID" node || echo "$PEER_PID"
}

run_pair() {  # $1: workload module, $2: peer token format
    cd "$ROOT"
    "$PY" -m "bench.$1" "${COMMON[@]}" --workers "$WORKERS" --threads "$THREADS" | tail -n 1 >"$WORK/$1.logbook.json"
    start_peer "$2"
    "$PY" -m "bench.$1" "${COMMON[@]}" --peer "$PEER_URL" --client-id "$PEER_ID" --client-secret "$PEER_SECRET" \
        --server-pids "$(node_pid)" | tail -n 1 >"$WORK/$1.peer.json"
    stop_peer
    "$PY" - "$WORK/$1.logbook.json" "$WORK/$1.peer.json" <<'EOF'
import json, sys
from bench.loadgen import line
ours, peer = (json.load(open(path)) for path in sys.argv[1:3])
print("   Logbook:", line(ours), "| server CPU/request:", ours.get("server_cpu_ms_per_request"), "ms |", ours.get("server"))
print("   peer:   ", line(peer), "| server CPU/request:", peer.get("server_cpu_ms_per_request"), "ms | node-oidc-provider, 1 process")
ratio = ours["throughput"] / peer["throughput"] if peer["throughput"] else float("nan")
print(f"   ratio Logbook/peer = {ratio:.2f}  ({'meets' if ratio >= 1.0 else 'MISSES'} the target >= 1.0)")
EOF
}

echo "== client-credentials token issue (ES256 JWT access token, client_secret_basic)"
run_pair token_client_credentials jwt
echo "== introspection of an active access token (peer: opaque token; it refuses to introspect its JWTs)"
run_pair introspection opaque
