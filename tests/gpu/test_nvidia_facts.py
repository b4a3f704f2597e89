"""roles/gpu/library/aib_nvidia_gpu_facts.py: parsing nvidia-smi's output, failures, the facts."""

from __future__ import annotations

import pytest

from tests.gpu.conftest import (
    A100_L4,
    DRIVER_FAILURE,
    H100_DEVICE,
    H100_X1,
    H100_X8,
    L4_X1,
    NOT_AVAILABLE,
)


def test_one_h100(facts_module):
    assert facts_module.parse_nvidia_smi(H100_X1) == [H100_DEVICE]
    assert facts_module.detect(0, H100_X1, "", False) == (
        {
            "present": True,
            "driver_version": "580.95.05",
            "devices": [H100_DEVICE],
            "source": "nvidia-smi",
            "reason": None,
        },
        None,
    )


def test_eight_h100(facts_module):
    devices = facts_module.parse_nvidia_smi(H100_X8)
    assert [d["index"] for d in devices] == list(range(8))
    assert {d["cuda_arch"] for d in devices} == {"90"}
    assert {d["vram_mib"] for d in devices} == {81559}
    assert len({d["uuid"] for d in devices}) == 8


def test_mixed_a100_and_l4(facts_module):
    assert facts_module.parse_nvidia_smi(A100_L4) == [
        {
            "index": 0,
            "uuid": "GPU-0a1b2c3d-0000-4000-8000-000000000001",
            "name": "NVIDIA A100-SXM4-80GB",
            "vram_mib": 81920,
            "vram_gb": 80.0,
            "compute_cap": "8.0",
            "cuda_arch": "80",
        },
        {
            "index": 1,
            "uuid": "GPU-0a1b2c3d-0000-4000-8000-000000000002",
            "name": "NVIDIA L4",
            "vram_mib": 23034,
            "vram_gb": 22.49,
            "compute_cap": "8.9",
            "cuda_arch": "89",
        },
    ]
    assert facts_module.parse_nvidia_smi(L4_X1)[0]["name"] == "NVIDIA L4"


def test_not_available_fields_are_null(facts_module):
    assert facts_module.parse_nvidia_smi(NOT_AVAILABLE) == [
        {
            "index": 0,
            "uuid": "GPU-0a1b2c3d-0000-4000-8000-000000000003",
            "name": "NVIDIA Graphics Device",
            "vram_mib": None,
            "vram_gb": None,
            "compute_cap": None,
            "cuda_arch": None,
        }
    ]


def test_name_with_a_comma(facts_module):
    line = "0, GPU-1, Some GPU, Rev 2, 16384, 8.6, 580.95.05\n"
    assert facts_module.parse_nvidia_smi(line)[0]["name"] == "Some GPU, Rev 2"


def test_empty_output_means_no_gpu(facts_module):
    assert facts_module.parse_nvidia_smi("") == []
    assert facts_module.parse_nvidia_smi("\n\n") == []
    assert facts_module.detect(0, "", "", False) == (
        {
            "present": False,
            "driver_version": None,
            "devices": [],
            "source": "nvidia-smi",
            "reason": "nvidia-smi lists no GPU",
        },
        None,
    )


def test_no_devices_found(facts_module):
    facts, error = facts_module.detect(6, "No devices were found\n", "", False)
    assert error is None
    assert facts["present"] is False
    assert facts["reason"] == "nvidia-smi found no devices"


def test_driver_failure_fails_with_the_output_and_advice(facts_module):
    facts, error = facts_module.detect(9, DRIVER_FAILURE, "", False)
    assert facts["present"] is False
    assert error == (
        "nvidia-smi failed (rc 9): NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA "
        "driver. Make sure that the latest NVIDIA driver is installed and running. nvidia-smi is installed "
        "but cannot talk to the NVIDIA driver: load it (modprobe nvidia, or reboot after a driver/kernel "
        "update) and check `nvidia-smi`; or set allow_missing_driver: true (role gpu: "
        "gpu_allow_missing_driver) to treat this host as a CPU host"
    )


def test_driver_failure_allowed(facts_module):
    facts, error = facts_module.detect(9, DRIVER_FAILURE, "", True)
    assert error is None
    assert facts == {
        "present": False,
        "driver_version": None,
        "devices": [],
        "source": "nvidia-smi",
        "reason": (
            "nvidia-smi failed (rc 9): NVIDIA-SMI has failed because it couldn't communicate with the "
            "NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running."
        ),
    }


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("0, GPU-1, NVIDIA L4\n", "line 1 of nvidia-smi's output has 3 fields, not 6: '0, GPU-1, NVIDIA L4'"),
        (
            "x, GPU-1, NVIDIA L4, 23034, 8.9, 580.95.05\n",
            "line 1 of nvidia-smi's output has no GPU index: 'x, GPU-1, NVIDIA L4, 23034, 8.9, 580.95.05'",
        ),
        (
            "0, GPU-1, NVIDIA L4, 22 GiB, 8.9, 580.95.05\n",
            "line 1: memory.total '22 GiB' is not a number of MiB: "
            "'0, GPU-1, NVIDIA L4, 22 GiB, 8.9, 580.95.05'",
        ),
    ],
)
def test_unexpected_output_is_an_error(facts_module, line, message):
    with pytest.raises(ValueError) as info:
        facts_module.parse_nvidia_smi(line)
    assert str(info.value) == message
    _facts, error = facts_module.detect(0, line, "", False)
    assert error == f"cannot read nvidia-smi's output: {message}"
