#!/usr/bin/env bash
# Start a Docker engine if none answers (no systemd on the CI machine: dockerd runs by hand).
# Prints the PID of a dockerd it started (nothing if one was already running).
set -euo pipefail
if docker info >/dev/null 2>&1; then exit 0; fi
LOG=${DOCKERD_LOG:-/var/log/dockerd-ci.log}
rm -f /var/run/docker.pid
nohup dockerd --storage-driver=overlay2 >"$LOG" 2>&1 </dev/null &
pid=$!
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then echo "$pid"; exit 0; fi
  kill -0 "$pid" 2>/dev/null || break
  sleep 1
done
echo "dockerd failed to start; last log lines:" >&2
tail -30 "$LOG" >&2
exit 1
