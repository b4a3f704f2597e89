#!/usr/bin/env python3
"""Build a **test double** of Ollama's Linux release archive (`ollama-linux-<arch>.tar.zst`).

The archive is NOT Ollama. It has the layout of the real release (`./bin/ollama`, `./lib/ollama/...`,
zstd-compressed tar, entries prefixed with `./`) so that the `ollama` role's download, sha256 check,
extraction, versioned install and symlink switch run exactly as they do with the real 1.4 GB archive:

- `bin/ollama`: a POSIX sh launcher. `ollama serve` runs the API double (`lib/ollama/ollama_double.py`,
  stdlib Python 3.11, backed by the OpenAI-compatible server in `AIB_OLLAMA_DOUBLE_BACKEND`);
  `ollama --version` / `-v` prints `ollama version is <version>`.
- `lib/ollama/ollama_double.py`, `lib/ollama/VERSION`, `lib/ollama/README.TEST-DOUBLE`.

The output is deterministic (fixed mtimes, owners and order; zstd level 19), so its sha256 is stable
for one double and one version. Needs the `zstd` command. Prints the path and the sha256.

    python3 tests/doubles/make_ollama_archive.py --version 0.32.15 --output /tmp/ollama-linux-amd64.tar.zst
"""

from __future__ import annotations

import argparse
import hashlib
import io
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULTS = HERE.parent.parent / "roles" / "ollama" / "defaults" / "main.yml"
MTIME = 1_700_000_000

LAUNCHER = """#!/bin/sh
# AIB TEST DOUBLE of the ollama binary - not Ollama. See lib/ollama/README.TEST-DOUBLE.
here=$(dirname "$(readlink -f "$0")")
lib="$here/../lib/ollama"
case "${1:-}" in
  -v|--version|version)
    echo "ollama version is $(cat "$lib/VERSION")"
    ;;
  serve)
    shift
    exec python3 "$lib/ollama_double.py" serve "$@"
    ;;
  *)
    echo "aib ollama test double: only 'serve' and '--version' are implemented" >&2
    exit 2
    ;;
esac
"""

README = """AIB OLLAMA TEST DOUBLE - this archive is not Ollama.

It mimics the layout of Ollama's Linux release archive (bin/ollama, lib/ollama/) so that the
`ollama` Ansible role can be tested end to end where the real server cannot be obtained.
`bin/ollama serve` runs lib/ollama/ollama_double.py, an HTTP server speaking Ollama's API whose
generations come from the OpenAI-compatible backend in AIB_OLLAMA_DOUBLE_BACKEND (llama.cpp).
Built by tests/doubles/make_ollama_archive.py of the AI Unified Backend repository.
"""


def default_version() -> str:
    match = re.search(r'^ollama_version:\s*"?([^"\s#]+)', DEFAULTS.read_text(), re.MULTILINE)
    if not match:
        raise SystemExit(f"cannot read ollama_version from {DEFAULTS}; pass --version")
    return match.group(1)


def _add(tar: tarfile.TarFile, name: str, data: bytes | None, mode: int) -> None:
    info = tarfile.TarInfo(name)
    info.mtime, info.uid, info.gid, info.uname, info.gname = MTIME, 0, 0, "root", "root"
    info.mode = mode
    if data is None:
        info.type = tarfile.DIRTYPE
        tar.addfile(info)
    else:
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))


def build_tar(version: str) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for directory in ("./", "./bin/", "./lib/", "./lib/ollama/"):
            _add(tar, directory, None, 0o755)
        _add(tar, "./bin/ollama", LAUNCHER.encode(), 0o755)
        _add(tar, "./lib/ollama/README.TEST-DOUBLE", README.encode(), 0o644)
        _add(tar, "./lib/ollama/VERSION", f"{version}\n".encode(), 0o644)
        _add(tar, "./lib/ollama/ollama_double.py", (HERE / "ollama_double.py").read_bytes(), 0o644)
    return buf.getvalue()


def build(output: Path, version: str) -> str:
    zstd = shutil.which("zstd")
    if zstd is None:
        raise SystemExit("the zstd command is needed (apt-get install zstd)")
    compressed = subprocess.run(
        [zstd, "-q", "-19", "-c", "--no-progress"], input=build_tar(version), capture_output=True, check=True
    ).stdout
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(compressed)
    return hashlib.sha256(compressed).hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--version",
        default=None,
        help="version the double reports (default: ollama_version of roles/ollama/defaults/main.yml)",
    )
    parser.add_argument("--output", type=Path, default=Path("ollama-linux-amd64.tar.zst"))
    args = parser.parse_args(argv)
    sha256 = build(args.output, args.version or default_version())
    print(f"{sha256}  {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
