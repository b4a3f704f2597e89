#!/usr/bin/env bash
# Re-pin the llama-cpp-python requirement files with hashes, resolving against PyPI only
# (local pip config - find-links, file:// indexes, constraints - must never reach the lock files).
# Usage: roles/llamacpp/files/compile-requirements.sh [/path/to/pip-compile]
set -euo pipefail
cd "$(dirname "$0")"
for f in requirements-python-server requirements-python-build; do
  env -u PIP_FIND_LINKS -u PIP_EXTRA_INDEX_URL -u PIP_INDEX_URL PIP_CONSTRAINT= \
    PIP_CONFIG_FILE=/dev/null \
    "${1:-pip-compile}" --quiet --generate-hashes --allow-unsafe --strip-extras \
    --no-emit-index-url --no-emit-find-links \
    --index-url https://pypi.org/simple \
    --output-file "$f.txt" "$f.in"
  if grep -n 'file://' "$f.txt"; then
    echo "$f.txt references file:// URLs" >&2; exit 1
  fi
done
