#!/usr/bin/env bash
# Stops a deployment started by deploy/start.sh: nginx first (no new clients), then every node
# with SIGTERM (each answers what it took and exits 0).
set -euo pipefail
# shellcheck source=deploy/lib.sh
. "$(dirname "$0")/lib.sh"
load_deployment

if [ -f "$RUN_DIR/nginx/nginx.pid" ]; then
  pid=$(cat "$RUN_DIR/nginx/nginx.pid")
  nginx_run -s stop
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  say "nginx stopped"
fi
status=0
for i in $(seq 1 "$NODES"); do stop_node "$i" || status=1; done
exit "$status"
