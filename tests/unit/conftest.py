"""Shared fixtures of the unit tests: the two registry profiles as plain dicts, and helpers.

`filter_plugins/` goes on sys.path so tests import the filters as Ansible loads them
(`from aib_registry import FilterModule`); the repository root goes there for `schemas`.
"""

from __future__ import annotations

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
