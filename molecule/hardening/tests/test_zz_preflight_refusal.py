"""Binding the gateway beyond loopback without a master key fails the run before any change, on
the converged host: the run fails in the preflight and not one file of the host changes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(os.environ["MOLECULE_PROJECT_DIRECTORY"])
WATCHED = "/var/lib/aib/etc /var/lib/aib/.config/systemd/user"


def _fingerprint(host) -> str:
    with host.sudo():
        return host.check_output(f"find {WATCHED} -type f -printf '%p %s %T@\\n' | sort | sha256sum")


def test_no_master_key_beyond_loopback_is_refused_before_any_change(host, tmp_path) -> None:
    before = _fingerprint(host)
    gateway = {
        "bind": "0.0.0.0",  # noqa: S104 - the point of the test "port": 4000, "workers": 1, "master_key": "none",
        "cors_origins": ["https://lab.example.org"], "rate_limits": {"per_key_rpm": 120},
    }  # fmt: skip
    extra = tmp_path / "extra.json"
    extra.write_text(json.dumps({"aib_gateway": gateway}))
    inventory = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "inventory"
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("ansible-playbook")), "site.yml", "-i", str(inventory),
         "-e", f"@{extra}"],
        cwd=REPO, capture_output=True, text=True, timeout=600, check=False,
        env={**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_LOG_PATH": ""},
    )  # fmt: skip
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    assert "aib_gateway.master_key" in output, output
    assert "Traceback" not in output
    assert "Gathering Facts" not in output and "TASK [Gather facts]" not in output, output
    assert _fingerprint(host) == before, "the refused run changed files on the host"
