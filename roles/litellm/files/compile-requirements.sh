#!/usr/bin/env bash
# Re-pin requirements.txt from requirements.in with hashes, resolving against PyPI only
# (ignores local pip config: find-links / file:// indexes must never end up in the lock file).
# Usage: roles/litellm/files/compile-requirements.sh [/path/to/pip-compile]
set -euo pipefail
cd "$(dirname "$0")"
env -u PIP_FIND_LINKS -u PIP_EXTRA_INDEX_URL -u PIP_INDEX_URL -u PIP_CONSTRAINT \
  PIP_CONFIG_FILE=/dev/null \
  "${1:-pip-compile}" --quiet --generate-hashes --allow-unsafe --strip-extras \
  --no-emit-index-url --no-emit-find-links \
  --index-url https://pypi.org/simple \
  --output-file requirements.txt requirements.in
if grep -n 'file://' requirements.txt; then
  echo "requirements.txt references file:// URLs" >&2; exit 1
fi
