# Shared by start.sh, rolling-restart.sh and stop.sh (sourced, not run).
# Everything a deployment writes lives under RUN_DIR: the nodes' environment, pid and exit files,
# their logs, and nginx's configuration, pid, logs and temporary files.

DEPLOY_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$DEPLOY_DIR")
RUN_DIR=${RUN_DIR:-$DEPLOY_DIR/run}
# How long a node may take to exit after SIGTERM (it exits within 10 s), and to become ready.
STOP_TIMEOUT=${STOP_TIMEOUT:-15}
READY_TIMEOUT=${READY_TIMEOUT:-60}
# nginx takes a node that failed out for this long (passive health check); a rolling restart waits
# as long after a node is ready again, so nginx sends it traffic before the next node stops.
FAIL_TIMEOUT=${FAIL_TIMEOUT:-2}

say() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*"; }
complain() { printf 'error: %s\n' "$*" >&2; }
fail() {
  complain "$@"
  exit 1
}

nginx_bin() {
  if [ -n "${NGINX_BIN:-}" ]; then
    echo "$NGINX_BIN"
  elif command -v nginx >/dev/null; then
    command -v nginx
  elif [ -x /usr/sbin/nginx ]; then
    echo /usr/sbin/nginx
  else
    fail "nginx is not installed (Debian: apt-get install nginx), or set NGINX_BIN to its path"
  fi
}

# Reads what start.sh recorded (node count, ports, server directory).
load_deployment() {
  [ -f "$RUN_DIR/deploy.env" ] || fail "no deployment in $RUN_DIR (run deploy/start.sh first, with the same RUN_DIR)"
  # shellcheck source=/dev/null
  . "$RUN_DIR/deploy.env"
  NODES=$(node_count)
}

# Node i (from 1) listens on the i-th of NODE_PORTS.
node_count() { set -- $NODE_PORTS; echo $#; }
node_port() { local i=$1; set -- $NODE_PORTS; echo "${!i}"; }
node_pid() { cat "$RUN_DIR/node-$1.pid" 2>/dev/null || true; }

node_running() {
  local pid
  pid=$(node_pid "$1")
  [ -n "$pid" ] && [ ! -f "$RUN_DIR/node-$1.exit" ] && kill -0 "$pid" 2>/dev/null
}

# Starts node $1 in a session of its own (it outlives this script), under run-node.sh, which
# records its pid and, once it ends, its exit status.
start_node() {
  local i=$1
  rm -f "$RUN_DIR/node-$i.pid" "$RUN_DIR/node-$i.exit"
  RUN_DIR="$RUN_DIR" SERVER_DIR="$SERVER_DIR" setsid "$DEPLOY_DIR/run-node.sh" "$i" "$(node_port "$i")" \
    </dev/null >>"$RUN_DIR/node-$i.log" 2>&1 &
  local waited=0
  until [ -s "$RUN_DIR/node-$i.pid" ]; do
    sleep 0.1
    waited=$((waited + 1))
    [ "$waited" -lt 100 ] || fail "node $i did not start (see $RUN_DIR/node-$i.log)"
  done
  say "node $i started (pid $(node_pid "$i"), port $(node_port "$i"))"
}

# Polls node $1's /api/health/ready until it answers 200.
wait_ready() {
  local i=$1 url deadline
  url="http://127.0.0.1:$(node_port "$i")/api/health/ready"
  deadline=$((SECONDS + READY_TIMEOUT))
  until node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$url"; do
    [ ! -f "$RUN_DIR/node-$i.exit" ] || fail "node $i exited with $(cat "$RUN_DIR/node-$i.exit") (see $RUN_DIR/node-$i.log)"
    [ "$SECONDS" -lt "$deadline" ] || fail "node $i not ready within ${READY_TIMEOUT}s (see $RUN_DIR/node-$i.log)"
    sleep 0.2
  done
  say "node $i ready"
}

# SIGTERM to node $1, then waits for it to exit: it stops accepting, answers what it took, tells
# its sockets to reconnect (nginx sends them to the other nodes) and exits 0 within 10 s.
stop_node() {
  local i=$1 pid deadline status
  pid=$(node_pid "$i")
  if ! node_running "$i"; then
    say "node $i is not running"
    return 0
  fi
  kill -TERM "$pid"
  deadline=$((SECONDS + STOP_TIMEOUT))
  until [ -f "$RUN_DIR/node-$i.exit" ]; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      kill -KILL "$pid" 2>/dev/null || true
      complain "node $i (pid $pid) did not exit within ${STOP_TIMEOUT}s of SIGTERM: killed"
      return 1
    fi
    sleep 0.1
  done
  status=$(cat "$RUN_DIR/node-$i.exit")
  if [ "$status" != 0 ]; then
    complain "node $i exited with status $status after SIGTERM (see $RUN_DIR/node-$i.log)"
    return 1
  fi
  say "node $i stopped (exit 0)"
}

# nginx with this deployment's files (start.sh recorded which nginx in deploy.env).
nginx_run() { env -u NGINX "$NGINX_BIN" -p "$RUN_DIR/nginx/" -c "$RUN_DIR/nginx/nginx.conf" -e "$RUN_DIR/nginx/error.log" "$@"; }
