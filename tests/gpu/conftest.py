"""Fixtures of the GPU tests: nvidia-smi outputs in the format the module queries, the registry
profiles of tests/unit (reused, not copied), the module's pure functions and the GPU filter.

The outputs are `nvidia-smi --query-gpu=index,uuid,name,memory.total,compute_cap,driver_version
--format=csv,noheader,nounits` lines: names and memory sizes as those cards report them
(H100 80GB HBM3: 81559 MiB, as seen on the lab's H100; A100-SXM4-80GB: 81920 MiB; L4: 23034 MiB);
the UUIDs are made up.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
for _path in (ROOT, ROOT / "filter_plugins"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from aib_gpu import FilterModule  # noqa: E402

MODULE_PATH = ROOT / "roles" / "gpu" / "library" / "aib_nvidia_gpu_facts.py"

H100_X1 = "0, GPU-6b3f9a4e-2c1d-4e8f-9a7b-0c5d3e2f1a90, NVIDIA H100 80GB HBM3, 81559, 9.0, 580.95.05\n"
H100_X8 = "".join(
    f"{i}, GPU-6b3f9a4e-2c1d-4e8f-9a7b-0c5d3e2f1a9{i}, NVIDIA H100 80GB HBM3, 81559, 9.0, 580.95.05\n"
    for i in range(8)
)
A100_L4 = (
    "0, GPU-0a1b2c3d-0000-4000-8000-000000000001, NVIDIA A100-SXM4-80GB, 81920, 8.0, 580.95.05\n"
    "1, GPU-0a1b2c3d-0000-4000-8000-000000000002, NVIDIA L4, 23034, 8.9, 580.95.05\n"
)
L4_X1 = "0, GPU-0a1b2c3d-0000-4000-8000-000000000002, NVIDIA L4, 23034, 8.9, 580.95.05\n"
NOT_AVAILABLE = (
    "0, GPU-0a1b2c3d-0000-4000-8000-000000000003, NVIDIA Graphics Device, [N/A], [Not Supported], 580.95.05\n"
)
DRIVER_FAILURE = (
    "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. "
    "Make sure that the latest NVIDIA driver is installed and running.\n"
)
NO_NVIDIA_SMI = {
    "present": False,
    "driver_version": None,
    "devices": [],
    "source": "none",
    "reason": "nvidia-smi not found",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents and "slow" not in item.keywords:
            item.add_marker(pytest.mark.unit)


@pytest.fixture(scope="session")
def facts_module() -> ModuleType:
    """roles/gpu/library/aib_nvidia_gpu_facts.py imported as a Python module (its pure functions)."""
    spec = importlib.util.spec_from_file_location("aib_nvidia_gpu_facts", MODULE_PATH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def detected(facts_module: ModuleType) -> Callable[[str], dict[str, Any]]:
    """detected(nvidia-smi stdout) -> the module's aib_gpu_detected for a successful run."""

    def run(stdout: str) -> dict[str, Any]:
        facts, error = facts_module.detect(0, stdout, "", False)
        assert error is None
        return facts

    return run


# The device the H100 lines above describe, as the module reports it.
H100_DEVICE = {
    "index": 0,
    "uuid": "GPU-6b3f9a4e-2c1d-4e8f-9a7b-0c5d3e2f1a90",
    "name": "NVIDIA H100 80GB HBM3",
    "vram_mib": 81559,
    "vram_gb": 79.65,
    "compute_cap": "9.0",
    "cuda_arch": "90",
}


@pytest.fixture(scope="session")
def gpu_preflight() -> Callable[[Any, Any], Any]:
    return FilterModule().filters()["aib_gpu_preflight"]
