#!/usr/bin/env bash
# One Causette node, as deploy/lib.sh's start_node runs it: its environment from RUN_DIR/node.env,
# its pid in RUN_DIR/node-N.pid, and once it ends, its exit status in RUN_DIR/node-N.exit.
set -u
i=$1
port=$2
set -a
# shellcheck source=/dev/null
. "$RUN_DIR/node.env"
set +a
cd "$SERVER_DIR"
PORT=$port node dist/main.js &
pid=$!
echo "$pid" >"$RUN_DIR/node-$i.pid.tmp"
mv "$RUN_DIR/node-$i.pid.tmp" "$RUN_DIR/node-$i.pid"
# Signals are for the node: this wrapper stays to record how it ended.
trap '' TERM INT HUP
wait "$pid"
status=$?
echo "$status" >"$RUN_DIR/node-$i.exit.tmp"
mv "$RUN_DIR/node-$i.exit.tmp" "$RUN_DIR/node-$i.exit"
