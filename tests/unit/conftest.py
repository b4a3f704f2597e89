"""Shared fixtures of the unit tests: the two registry profiles as plain dicts, and helpers.

`filter_plugins/` goes on sys.path so tests import the filters as Ansible loads them
(`from aib_registry import FilterModule`); the repository root goes there for `schemas`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aib_registry import FilterModule

from schemas import RegistryError, validate_registry
from tests.profiles import DEFAULT_PROFILE, LAB_PROFILE, ROOT, SECTIONS  # noqa: F401 (also sets sys.path)

Registry = dict[str, Any]
Problems = list[tuple[str, str]]


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
