#!/usr/bin/env bash
# Starts Causette nodes on loopback (one per port of NODE_PORTS) over one PostgreSQL, sharing Redis,
# with nginx in front. No root needed. See "Running several nodes" in the README.
#
#   DB_URL=postgres://... REDIS_URL=redis://... JWT=... COOKIE=... deploy/start.sh
#
# Variables (the nodes also take every other variable of the README's configuration table):
#   DB_URL           PostgreSQL (required)
#   REDIS_URL        Redis (required for two nodes or more: socket.io events and rate limits)
#   JWT, COOKIE      the secrets every node shares (unset: generated once into RUN_DIR/secrets.env)
#   NODE_PORTS       one node per port, on 127.0.0.1 (default "5051 5052": two nodes)
#   PROXY_LISTEN     nginx's listen address (default 127.0.0.1:8080; 8080 for every interface)
#   RUN_DIR          state, logs, nginx's files (default deploy/run)
#   SERVER_DIR       the server to run: this repository's apps/server (built first), or a
#                    production install made with `pnpm --filter @causette/server deploy --prod DIR`
#   DATA_DIR         uploaded files, shared by the nodes of this machine (default RUN_DIR/data)
set -euo pipefail
# shellcheck source=deploy/lib.sh
. "$(dirname "$0")/lib.sh"

NODE_PORTS=${NODE_PORTS:-5051 5052}
NODES=$(node_count)
PROXY_LISTEN=${PROXY_LISTEN:-127.0.0.1:8080}
SERVER_DIR=$(cd "${SERVER_DIR:-$REPO_DIR/apps/server}" && pwd)
NGINX_BIN=$(nginx_bin)

[ -n "${DB_URL:-}" ] || fail "DB_URL is not set: the nodes share one PostgreSQL"
[ "$NODES" -lt 2 ] || [ -n "${REDIS_URL:-}" ] || fail "REDIS_URL is not set: two nodes or more share events and rate limits through Redis"
if [ -f "$RUN_DIR/deploy.env" ]; then
  (load_deployment && for i in $(seq 1 "$NODES"); do ! node_running "$i" || exit 1; done) ||
    fail "a deployment in $RUN_DIR is running: deploy/stop.sh first"
fi

mkdir -p "$RUN_DIR/nginx/tmp"
# nginx's workers run as another user when started by root: they must reach their files.
chmod 711 "$RUN_DIR" "$RUN_DIR/nginx"

if [ "$SERVER_DIR" = "$REPO_DIR/apps/server" ]; then
  say "building the server"
  (cd "$REPO_DIR" && pnpm exec turbo run build --filter=@causette/server --output-logs=errors-only)
fi
[ -f "$SERVER_DIR/dist/main.js" ] || fail "$SERVER_DIR/dist/main.js is missing: build the server first"

if [ -z "${JWT:-}" ] || [ -z "${COOKIE:-}" ]; then
  if [ ! -f "$RUN_DIR/secrets.env" ]; then
    (
      umask 077
      secret() { node -e 'process.stdout.write(require("node:crypto").randomBytes(32).toString("hex"))'; }
      printf 'JWT=%s\nCOOKIE=%s\n' "$(secret)" "$(secret)" >"$RUN_DIR/secrets.env"
    )
    say "JWT and COOKIE not set: generated into $RUN_DIR/secrets.env (kept for later starts)"
  fi
  # shellcheck source=/dev/null
  . "$RUN_DIR/secrets.env"
fi

# The nodes' environment, the same for each and for every restart (secrets inside: owner only).
(
  umask 077
  {
    printf 'NODE_ENV=%q\nHOST=127.0.0.1\nDB_URL=%q\nJWT=%q\nCOOKIE=%q\nDATA_DIR=%q\n' \
      "${NODE_ENV:-production}" "$DB_URL" "$JWT" "$COOKIE" "${DATA_DIR:-$RUN_DIR/data}"
    for name in REDIS_URL CORS_ORIGIN LOG_LEVEL JWT_EXPIRES_IN MAX_UPLOAD_BYTES MAX_GROUP_MEMBERS \
      S3_BUCKET S3_ENDPOINT S3_REGION S3_ACCESS_KEY_ID S3_SECRET_ACCESS_KEY; do
      if [ -n "${!name:-}" ]; then printf '%s=%q\n' "$name" "${!name}"; fi
    done
  } >"$RUN_DIR/node.env"
)
printf 'NODE_PORTS=%q\nPROXY_LISTEN=%q\nSERVER_DIR=%q\nFAIL_TIMEOUT=%q\nNGINX_BIN=%q\n' \
  "$NODE_PORTS" "$PROXY_LISTEN" "$SERVER_DIR" "$FAIL_TIMEOUT" "$NGINX_BIN" >"$RUN_DIR/deploy.env"

# One after the other: the first migrates the database, the others find it migrated.
for i in $(seq 1 "$NODES"); do
  start_node "$i"
  wait_ready "$i"
done

servers=""
sockets=""
for i in $(seq 1 "$NODES"); do
  servers+="    server 127.0.0.1:$(node_port "$i") max_fails=1 fail_timeout=${FAIL_TIMEOUT}s;"$'\n'
  sockets+="    server 127.0.0.1:$(node_port "$i") max_fails=0;"$'\n'
done
sed -e "s|@RUN_DIR@|$RUN_DIR|g" -e "s|@PROXY_LISTEN@|$PROXY_LISTEN|g" "$DEPLOY_DIR/nginx.conf.template" |
  awk -v servers="${servers%$'\n'}" -v sockets="${sockets%$'\n'}" '
    $0 == "@UPSTREAM_SERVERS@" { print servers; next }
    $0 == "@SOCKET_SERVERS@" { print sockets; next }
    { print }' >"$RUN_DIR/nginx/nginx.conf"
nginx_run -t -q
nginx_run
say "nginx on $PROXY_LISTEN in front of $NODES nodes (logs in $RUN_DIR)"
