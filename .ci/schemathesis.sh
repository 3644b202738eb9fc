#!/usr/bin/env bash
# Runs schemathesis against a live Veza built by `cargo test` (target/debug/veza):
# every operation of /api/v1/openapi.json with bounded examples, checking that no
# answer is a 5xx and that every answer fits the document.
# Usage: .ci/schemathesis.sh [max examples per operation, default 25]
set -euo pipefail
cd "$(dirname "$0")/.."
EXAMPLES="${1:-25}"
BIN="$PWD/target/debug/veza"
[ -x "$BIN" ] || cargo build
WORK="$(mktemp -d)"
PORT="${SCHEMATHESIS_PORT:-18181}"
cleanup() { [ -n "${SERVER:-}" ] && kill "$SERVER" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
(
    cd "$WORK"
    VEZA_PORT="$PORT" VEZA_LOG_LEVEL=critical \
    VEZA_RATE_LIMIT__REQUESTS_PER_HOUR=100000000 \
    VEZA_RATE_LIMIT__FAILED_LOGINS_PER_15MIN=10000 \
    VEZA_METRICS__TOKEN=schemathesis-metrics-token \
    VEZA_WEBHOOKS__ALLOW_PRIVATE_TARGETS=true \
    exec "$BIN"
) &
SERVER=$!
BASE="http://127.0.0.1:$PORT"
for _ in $(seq 1 100); do curl -sf "$BASE/health" >/dev/null && break; sleep 0.1; done
TOKEN=$(curl -sf "$BASE/api/v1/auth/register" -H 'Content-Type: application/json' \
    -d '{"username":"fuzzer","email":"fuzzer@example.com","password":"a long password"}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["access_token"])')
# Something for ids to find: a room with a message, a second user.
curl -sf "$BASE/api/v1/rooms" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d '{"name":"general"}' >/dev/null
curl -sf "$BASE/api/v1/rooms/1/messages" -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' -d '{"content":"hello"}' >/dev/null
curl -sf "$BASE/api/v1/auth/register" -H 'Content-Type: application/json' \
    -d '{"username":"other","email":"other@example.com","password":"a long password"}' >/dev/null
schemathesis run "$BASE/api/v1/openapi.json" \
    --header "Authorization: Bearer $TOKEN" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --exclude-path /api/v1/ws \
    --exclude-path /api/v1/auth/logout --exclude-path /auth/logout \
    --exclude-path /api/v1/users/me/password \
    --max-examples "$EXAMPLES" \
    --phases coverage,fuzzing,stateful \
    --workers 2 \
    --request-timeout 20 \
    --max-redirects 0 \
    --no-color
