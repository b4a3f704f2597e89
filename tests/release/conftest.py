"""Shared fixtures of the release tests: the registry profiles, the filters, the role's scripts."""

from __future__ import annotations

import importlib.machinery
import importlib.util
from types import ModuleType

import pytest

from tests.profiles import ROOT

FILES = ROOT / "roles" / "release" / "files"


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
