"""Root of the test suite: puts the repository root and filter_plugins/ on sys.path before any
test module imports a filter (`from aib_registry import FilterModule`, as Ansible loads it), and
serves the registry profiles (tests/profiles.py) to every test directory."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.profiles import DEFAULT_PROFILE, LAB_PROFILE  # the import also sets sys.path


@pytest.fixture(scope="session")
def default_profile() -> dict[str, Any]:
    """The default (CPU) profile, pristine: deep-copy before changing it."""
    return DEFAULT_PROFILE


@pytest.fixture(scope="session")
def lab_profile() -> dict[str, Any]:
    """The lab (GPU) profile, pristine: deep-copy before changing it."""
    return LAB_PROFILE


@pytest.fixture
def default_registry() -> dict[str, Any]:
    """A fresh copy of the default profile that a test may change."""
    return copy.deepcopy(DEFAULT_PROFILE)


@pytest.fixture
def lab_registry() -> dict[str, Any]:
    """A fresh copy of the lab profile that a test may change."""
    return copy.deepcopy(LAB_PROFILE)
