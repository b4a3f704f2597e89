#!/usr/bin/env bash
# Provisioning benchmark (tests/perf/provision_bench.py): cold converge, no-change re-run, a
# registry change with the gateway's tag, a rollback, on a fresh systemd test host.
#   bash tests/perf/provision.sh        (root, from anywhere; ~15-25 min on 2 cores)
# Needs what `bash .ci/test` sets up: dockerd, the local test image, .venv, staged artifacts.
# AIB_BENCH_KEEP=1 keeps the test host `aib-bench` afterwards.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
docker info >/dev/null 2>&1 || bash .ci/start-dockerd.sh >/dev/null
docker image inspect local/debian-systemd:bookworm >/dev/null 2>&1 || bash .ci/build-image.sh
[ -x .venv/bin/ansible-playbook ] || bash .ci/bootstrap.sh
AIB_ARTIFACT_DIR=${AIB_ARTIFACT_DIR:-/var/cache/aib/artifacts} bash .ci/stage-artifacts.sh >/dev/null
exec .venv/bin/python tests/perf/provision_bench.py "$@"
