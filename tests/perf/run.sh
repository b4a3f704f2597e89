#!/usr/bin/env bash
# Gateway benchmark (tests/perf/README.md). One command, from the repository root:
#   bash tests/perf/run.sh                 # direct vs LiteLLM defaults vs the role's config
#   bash tests/perf/run.sh --sweep         # the tuning candidates, one by one
# Installs nginx, wrk (Debian packages) when missing and builds LiteLLM's venv from the role's
# hash-pinned lock file (roles/litellm/files/requirements.txt) once, under /var/tmp/aib-perf.
# AIB_PERF_VENV=/path/to/venv uses an existing venv instead.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"

need=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v taskset >/dev/null 2>&1 || need+=(util-linux)
if ((${#need[@]})); then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

lock=roles/litellm/files/requirements.txt
if [ -z "${AIB_PERF_VENV:-}" ]; then
  AIB_PERF_VENV="${AIB_PERF_CACHE:-/var/tmp/aib-perf}/venv-$(sha256sum "$lock" | cut -c1-16)"
  if [ ! -e "$AIB_PERF_VENV/.aib-perf-complete" ]; then
    echo "building $AIB_PERF_VENV from $lock (a few minutes, once)"
    rm -rf "$AIB_PERF_VENV"
    mkdir -p "$(dirname "$AIB_PERF_VENV")"
    "${AIB_PERF_PYTHON:-/usr/bin/python3}" -m venv "$AIB_PERF_VENV"
    # As the role installs it: hashes required, no dependency resolution, wheels only, and
    # without the machine's pip config (find-links / file:// indexes).
    PIP_CONFIG_FILE=/dev/null env -u PIP_FIND_LINKS "$AIB_PERF_VENV/bin/pip" install -q \
      --require-hashes --no-deps --only-binary=:all: -r "$lock"
    touch "$AIB_PERF_VENV/.aib-perf-complete"
  fi
fi
export AIB_PERF_VENV

py="$repo/.venv/bin/python"
[ -x "$py" ] || py=python3
exec "$py" "$repo/tests/perf/gateway_bench.py" "$@"
