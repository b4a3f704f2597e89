"""Shared fixtures of the unit tests: the two registry profiles as plain dicts, and helpers.

`filter_plugins/` goes on sys.path so tests import the filters as Ansible loads them
(`from aib_registry import FilterModule`); the repository root goes there for `schemas`.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
for _path in (ROOT, ROOT / "filter_plugins"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from aib_registry import FilterModule  # noqa: E402

from schemas import RegistryError, validate_registry  # noqa: E402

# The sections `aib_registry` (group_vars/all/registry.yml) bundles, in its order.
SECTIONS = (
    "aib_providers",
    "aib_model_files",
    "aib_model_mappings",
    "aib_gateway",
    "aib_redis",
    "aib_gpu",
    "aib_observability",
)

Registry = dict[str, Any]
Problems = list[tuple[str, str]]


def _group_vars(*dirs: Path) -> dict[str, Any]:
    """Variables of the given group_vars directories; a later directory replaces whole variables
    (Ansible's default hash_behaviour=replace: inventory group_vars override group_vars/all)."""
    variables: dict[str, Any] = {}
    for directory in dirs:
        for path in sorted(directory.glob("*.yml")):
            variables.update(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    return variables


def _bundle(variables: dict[str, Any]) -> Registry:
    """What the `aib_registry` Jinja bundle evaluates to (with its `| default({})`s)."""
    return {section: variables.get(section, {}) for section in SECTIONS}


DEFAULT_PROFILE = _bundle(_group_vars(ROOT / "group_vars" / "all"))
LAB_PROFILE = _bundle(
    _group_vars(ROOT / "group_vars" / "all", ROOT / "inventory" / "lab" / "group_vars" / "ai_backend")
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.unit)


@pytest.fixture(scope="session")
def default_profile() -> Registry:
    """The default (CPU) profile, pristine: deep-copy before changing it."""
    return DEFAULT_PROFILE


@pytest.fixture(scope="session")
def lab_profile() -> Registry:
    """The lab (GPU) profile, pristine: deep-copy before changing it."""
    return LAB_PROFILE


@pytest.fixture
def default_registry() -> Registry:
    """A fresh copy of the default profile that a test may change."""
    return copy.deepcopy(DEFAULT_PROFILE)


@pytest.fixture
def lab_registry() -> Registry:
    """A fresh copy of the lab profile that a test may change."""
    return copy.deepcopy(LAB_PROFILE)


@pytest.fixture(scope="session")
def filters() -> dict[str, Callable[[Any], Any]]:
    return FilterModule().filters()


@pytest.fixture(scope="session")
def problems() -> Callable[[Any], Problems]:
    """problems(registry) -> [(path, message), ...] of the RegistryError it must raise."""

    def run(registry: Any) -> Problems:
        with pytest.raises(RegistryError) as info:
            validate_registry(registry)
        return [(issue.path, issue.message) for issue in info.value.issues]

    return run
