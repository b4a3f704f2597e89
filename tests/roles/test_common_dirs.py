"""The module aib_dirs (roles/_common/library), run for real by ansible-playbook on localhost."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ANSIBLE_PLAYBOOK = str(Path(sys.executable).with_name("ansible-playbook"))
pytestmark = pytest.mark.slow


def aib_dirs(tmp_path: Path, paths: list[str], *extra: str, mode: str = "0750") -> tuple[int, str, dict]:
    out = tmp_path / "result.json"
    out.unlink(missing_ok=True)
    playbook = tmp_path / "play.yml"
    playbook.write_text(
        "- hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks:\n"
        "    - aib_dirs: {paths: '{{ dirs }}', mode: '{{ dir_mode }}'}\n      register: r\n"
        "    - copy: {content: '{{ r | to_json }}', dest: '{{ out }}'}\n      check_mode: false\n"
    )
    variables = json.dumps(
        {"dirs": paths, "dir_mode": mode, "out": str(out), "ansible_python_interpreter": sys.executable}
    )
    env = {**os.environ, "ANSIBLE_LIBRARY": str(ROOT / "roles/_common/library"), "ANSIBLE_NOCOLOR": "1",
           "ANSIBLE_LOCALHOST_WARNING": "false", "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false"}  # fmt: skip
    proc = subprocess.run(
        [ANSIBLE_PLAYBOOK, str(playbook), "-i", "localhost,", "-e", variables, *extra],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    return proc.returncode, proc.stdout + proc.stderr, (json.loads(out.read_text()) if out.exists() else {})


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_creates_missing_parents_then_changes_nothing(tmp_path):
    a, b = tmp_path / "x/y/a", tmp_path / "x/b"
    rc, output, result = aib_dirs(tmp_path, [str(a), str(b)])
    assert rc == 0, output
    assert result["changed"] is True
    assert result["created"] == [str(tmp_path / "x"), str(tmp_path / "x/y"), str(a), str(b)]
    assert [mode_of(p) for p in (tmp_path / "x", tmp_path / "x/y", a, b)] == [0o750] * 4

    rc, output, result = aib_dirs(tmp_path, [str(a), str(b)])
    assert rc == 0, output
    assert (result["changed"], result["created"]) == (False, [])


def test_corrects_a_drifted_mode(tmp_path):
    a = tmp_path / "a"
    a.mkdir()
    a.chmod(0o777)
    rc, output, result = aib_dirs(tmp_path, [str(a)])
    assert rc == 0, output
    assert (result["changed"], result["created"], mode_of(a)) == (True, [], 0o750)


def test_check_mode_reports_and_creates_nothing(tmp_path):
    a = tmp_path / "new/a"
    rc, output, result = aib_dirs(tmp_path, [str(a)], "--check", "--diff")
    assert rc == 0, output
    assert (result["changed"], result["created"]) == (True, [str(tmp_path / "new"), str(a)])
    assert not (tmp_path / "new").exists()
    assert "state: absent" in output or '"state": "absent"' in output, output


def test_a_file_in_the_way_is_refused_with_the_path(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    rc, output, _ = aib_dirs(tmp_path, [str(blocker)])
    assert rc != 0
    assert f"aib_dirs: {blocker} exists and is not a directory; remove it or choose another path" in output
