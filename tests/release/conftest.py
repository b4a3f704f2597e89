"""Shared fixtures of the release tests: the registry profiles, the filters, the role's scripts."""

from __future__ import annotations

import copy
import importlib.machinery
import importlib.util
from types import ModuleType
from typing import Any

import pytest

from tests.profiles import DEFAULT_PROFILE as DEFAULT  # also puts filter_plugins/ on sys.path
from tests.profiles import LAB_PROFILE as LAB
from tests.profiles import ROOT

FILES = ROOT / "roles" / "release" / "files"


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
