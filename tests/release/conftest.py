"""Shared fixtures of the release tests: the registry profiles, the filters, the role's scripts."""

from __future__ import annotations

import copy
import importlib.machinery
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
for _path in (ROOT, ROOT / "filter_plugins"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

FILES = ROOT / "roles" / "release" / "files"
SECTIONS = (
    "aib_providers",
    "aib_model_files",
    "aib_model_mappings",
    "aib_gateway",
    "aib_redis",
    "aib_gpu",
    "aib_observability",
)


def _profile(*dirs: Path) -> dict[str, Any]:
    variables: dict[str, Any] = {}
    for directory in dirs:
        for path in sorted(directory.glob("*.yml")):
            variables.update(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    return {section: variables.get(section, {}) for section in SECTIONS}


DEFAULT = _profile(ROOT / "group_vars" / "all")
LAB = _profile(ROOT / "group_vars" / "all", ROOT / "inventory" / "lab" / "group_vars" / "ai_backend")


@pytest.fixture
def default_registry() -> dict[str, Any]:
    return copy.deepcopy(DEFAULT)


@pytest.fixture
def lab_registry() -> dict[str, Any]:
    return copy.deepcopy(LAB)


def load_script(name: str) -> ModuleType:
    """Import one of the role's extension-less scripts as a module."""
    loader = importlib.machinery.SourceFileLoader(name.replace("-", "_"), str(FILES / name))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def aib_release() -> ModuleType:
    return load_script("aib-release")


@pytest.fixture(scope="session")
def aib_validate() -> ModuleType:
    return load_script("aib-validate")
