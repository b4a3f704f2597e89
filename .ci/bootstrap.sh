#!/usr/bin/env bash
# Create .venv and install the pinned, hash-checked toolchain (requirements/dev.txt; REQ=… VENV=… for
# another, e.g. the LiteLLM venv the render tests use).
# Idempotent: skipped when .venv's stamp holds the current sha256 of the requirements and of the
# python3 in use. Run from anywhere; VENV=path overrides the location.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
REQ=${REQ:-requirements/dev.txt}
STAMP=$VENV/.aib-requirements.sha256
t0=$(date +%s)
say() { echo "[bootstrap +$(( $(date +%s) - t0 ))s] $*"; }

want=$( { sha256sum "$REQ"; python3 -VV; } | sha256sum | cut -d' ' -f1)
if [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
  say "$VENV up to date (${want:0:12})"
  exit 0
fi

if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
  say "installing python3-venv"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends python3-venv python3-pip >/dev/null
fi

if [ ! -x "$VENV/bin/python" ]; then
  say "creating $VENV"
  python3 -m venv "$VENV"
fi
rm -f "$STAMP"
say "installing $REQ (--require-hashes)"
# (the machine's pip config may name local indexes that do not exist: drop that noise)
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
  --require-hashes --no-deps -r "$REQ" 2>&1 | { grep -v 'is ignored: it is neither a file nor a directory' || true; }
"$VENV/bin/python" -m pip check
echo "$want" > "$STAMP"
say "done: $("$VENV/bin/python" -m pip list --disable-pip-version-check 2>/dev/null | tail -n +3 | wc -l) packages in $VENV"
