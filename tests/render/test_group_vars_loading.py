"""The top-level group_vars/ must reach every play that site.yml runs.

Ansible loads group_vars next to the inventory and next to *each playbook file*; plays imported
from playbooks/ would not see the top-level directory without playbooks/group_vars (a link to
it). This test checks the link and proves the loading for real: a probe play placed next to each
imported playbook prints a registry value.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import yaml

from .conftest import REPO, run_playbook


def imported_playbooks() -> list[Path]:
    plays = yaml.safe_load((REPO / "site.yml").read_text())
    return [REPO / p["ansible.builtin.import_playbook"] for p in plays]


def test_site_imports_plays_from_playbooks_dir() -> None:
    paths = imported_playbooks()
    assert paths, "site.yml imports nothing"
    assert all(p.exists() and p.parent == REPO / "playbooks" for p in paths)


def test_playbooks_dir_links_the_top_level_group_vars() -> None:
    link = REPO / "playbooks/group_vars"
    assert link.is_symlink()
    assert link.resolve() == (REPO / "group_vars").resolve()


def test_every_imported_play_directory_sees_the_registry(tmp_path: Path) -> None:
    expected = yaml.safe_load((REPO / "group_vars/all/gateway.yml").read_text())["aib_gateway"]["port"]
    for directory in sorted({p.parent for p in imported_playbooks()}):
        probe = directory / f"_probe_{uuid.uuid4().hex}.yml"
        wrapper = REPO / f"_probe_wrapper_{uuid.uuid4().hex}.yml"
        probe.write_text(
            "- hosts: ai_backend\n  gather_facts: false\n  tasks:\n"
            '    - ansible.builtin.debug:\n        msg: "PROBE port={{ aib_gateway.port }} '
            'models={{ aib_model_mappings.models | length }}"\n'
        )
        wrapper.write_text(f"- ansible.builtin.import_playbook: {probe.relative_to(REPO)}\n")
        try:
            result = run_playbook(wrapper.name, "-i", str(REPO / "inventory/lab"))
        finally:
            probe.unlink()
            wrapper.unlink()
        assert result.rc == 0, result.output
        assert f"PROBE port={expected} models=5" in result.output, result.output
