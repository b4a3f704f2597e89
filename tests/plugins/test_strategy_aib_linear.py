"""playbooks/plugins/strategy/aib_linear.py: ansible.cfg's strategy, with a real ansible-playbook.

Plays on localhost (local connection, this interpreter): a plain play runs through Mitogen, a play
with an async task through Ansible's own linear (Mitogen 0.3.54 hangs such jobs under ansible-core
2.19 when the module imports late), AIB_MITOGEN=0 and a Mitogen that cannot be imported both give
Ansible's own linear, the latter with a warning. Every run must still succeed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PLAYBOOK = """
- name: plain
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Run a command
      ansible.builtin.command: echo plain
      changed_when: false

- name: with-async
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Start an async command
      ansible.builtin.command: echo async
      async: 30
      poll: 0
      register: job
      changed_when: false
    - name: Wait for it
      ansible.builtin.async_status:
        jid: "{{ job.ansible_job_id }}"
      register: done
      until: done is finished
      retries: 20
      delay: 1
"""


def _run(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAYBOOK)
    return subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-vv",
         "-e", f"ansible_python_interpreter={sys.executable}", str(playbook)],
        cwd=REPO, capture_output=True, text=True, timeout=240, check=False,
        env={**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1", **env},
    )  # fmt: skip


@pytest.fixture(autouse=True)
def _needs_ansible_playbook() -> None:
    if not (Path(sys.executable).parent / "ansible-playbook").exists():
        pytest.skip("ansible-playbook is not next to this interpreter (run the tests from .venv)")


def test_a_plain_play_runs_through_mitogen_and_an_async_play_through_ansibles_linear(tmp_path: Path) -> None:
    done = _run(tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "aib_linear: play 'plain' through Mitogen" in done.stdout
    assert "aib_linear: play 'with-async' has an async task: Ansible's own linear" in done.stdout
    assert "ok=3" in done.stdout


def test_aib_mitogen_0_runs_ansibles_own_linear(tmp_path: Path) -> None:
    done = _run(tmp_path, AIB_MITOGEN="0")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "aib_linear: play" not in done.stdout
    assert "Mitogen is not importable" not in done.stdout + done.stderr


def test_without_mitogen_it_warns_and_runs_ansibles_own_linear(tmp_path: Path) -> None:
    shadow = tmp_path / "shadow" / "ansible_mitogen"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('no Mitogen here')\n")
    done = _run(tmp_path, PYTHONPATH=str(shadow.parent))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "aib_linear: Mitogen is not importable (no Mitogen here): running Ansible's own linear" in (
        done.stdout + done.stderr
    )
    assert "aib_linear: play" not in done.stdout
