"""Supply chain: the litellm role refuses releases named in litellm_advisories (one list, vars/main.yml).

Runs the role's real advisory check (roles/litellm/tasks/advisories.yml) through ansible-playbook
on the controller, for releases inside and outside each advisory's range.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.render.conftest import REPO, run_playbook

PLAY = """
- hosts: localhost
  gather_facts: false
  tasks:
    - ansible.builtin.include_role:
        name: litellm
        tasks_from: advisories.yml
        vars_from: main.yml
      vars:
        __litellm_checked_version: "{{ checked }}"
"""


def check(tmp_path: Path, version: str):
    play = tmp_path / "advisories.yml"
    play.write_text(PLAY)
    return run_playbook(
        str(play),
        "-i",
        "localhost,",
        "-c",
        "local",
        "-e",
        f"checked={version}",
        env={"ANSIBLE_ROLES_PATH": str(REPO / "roles")},
    )


@pytest.mark.parametrize(
    ("version", "advisory"),
    [
        ("1.82.7", "MAL-2026-2144"),
        ("1.82.8", "MAL-2026-2144"),
        ("1.82.6", "CVE-2026-42208"),
        ("1.75.0", "CVE-2026-42271"),
        ("1.83.6", "CVE-2026-42208"),
        ("1.83.9", "CVE-2026-40217"),
        ("1.83.12", "CVE-2026-49468"),
    ],
)
def test_refused(tmp_path: Path, version: str, advisory: str) -> None:
    result = check(tmp_path, version)
    assert result.rc != 0, result.output
    assert f"litellm {version} is refused by {advisory}" in result.output, result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("version", ["1.84.0", "1.90.1"])
def test_accepted(tmp_path: Path, version: str) -> None:
    result = check(tmp_path, version)
    assert result.rc == 0, result.output


def test_the_pinned_release_passes(tmp_path: Path) -> None:
    pinned = yaml.safe_load((REPO / "roles/litellm/defaults/main.yml").read_text())["litellm_version"]
    result = check(tmp_path, str(pinned))
    assert result.rc == 0, result.output


def test_every_advisory_names_what_it_refuses() -> None:
    advisories = yaml.safe_load((REPO / "roles/litellm/vars/main.yml").read_text())["litellm_advisories"]
    assert len(advisories) >= 8
    for a in advisories:
        assert a["summary"].strip(), a
        assert a.get("versions") or a.get("fixed"), f"{a['id']}: needs versions or a fixed release"
