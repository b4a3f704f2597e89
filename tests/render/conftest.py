"""Fixtures that run the real playbooks on the controller (render mode: no managed host is touched)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ANSIBLE_PLAYBOOK = str(Path(sys.executable).with_name("ansible-playbook"))


@dataclass
class Run:
    rc: int
    output: str


def run_playbook(*args: str, cwd: Path = REPO, env: dict[str, str] | None = None) -> Run:
    proc = subprocess.run(
        [ANSIBLE_PLAYBOOK, *args],
        cwd=cwd,
        env={**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0", **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return Run(proc.returncode, proc.stdout + proc.stderr)


def render(inventory: Path | str, render_dir: Path, *extra: str) -> Run:
    return run_playbook(
        "site.yml", "-i", str(inventory), "--tags", "render", "-e", f"render_dir={render_dir}", *extra
    )


@pytest.fixture(scope="session")
def lab_render(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("lab-render")
    result = render(REPO / "inventory/lab", out)
    assert result.rc == 0, result.output
    return out


@pytest.fixture(scope="session")
def default_render(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("default-render")
    result = render(REPO / "inventory/default", out)
    assert result.rc == 0, result.output
    return out


@pytest.fixture
def lab_copy(tmp_path: Path) -> Path:
    """A writable copy of the lab inventory, for tests that break its registry."""
    dest = tmp_path / "lab"
    shutil.copytree(REPO / "inventory/lab", dest)
    return dest


def litellm_python() -> str | None:
    """The LiteLLM venv's interpreter (.ci/test builds it from the litellm role's hashed requirements)."""
    candidate = os.environ.get("AIB_LITELLM_PYTHON") or str(REPO / ".venv-litellm/bin/python")
    return candidate if Path(candidate).exists() else None


def require_litellm_python() -> str:
    """litellm_python(), or skip the test (fail it on CI, where .ci/test builds the venv first)."""
    python = litellm_python()
    if python is None:
        if os.environ.get("CI"):
            pytest.fail("the LiteLLM venv is missing: .ci/test builds .venv-litellm before pytest")
        pytest.skip("no LiteLLM venv (.venv-litellm); run .ci/test once")
    return python
