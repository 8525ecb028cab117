#!/usr/bin/env bash
# Restarts the nodes of a deployment started by deploy/start.sh one at a time (to run a new build
# or configuration): SIGTERM, wait for the exit, start, wait for /api/health/ready, then give
# nginx FAIL_TIMEOUT seconds to send it traffic again before the next node. The other nodes serve
# meanwhile: clients of the stopping node reconnect through nginx, and no acknowledged message is
# lost. Rebuild first (pnpm build, or a new production install in SERVER_DIR) to deploy new code.
set -euo pipefail
# shellcheck source=deploy/lib.sh
. "$(dirname "$0")/lib.sh"
load_deployment

for i in $(seq 1 "$NODES"); do
  say "restarting node $i of $NODES"
  stop_node "$i"
  start_node "$i"
  wait_ready "$i"
  if [ "$i" -lt "$NODES" ]; then sleep "$FAIL_TIMEOUT"; fi
done
say "rolling restart done"
