"""filter_plugins/aib_gpu.py (schemas/gpu_detect.py): the registry against the detected GPUs."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from schemas import RegistryError
from tests.gpu.conftest import A100_L4, H100_X1, H100_X8, L4_X1, NO_NVIDIA_SMI, NOT_AVAILABLE

NOT_FIT = "aib_gpu_preflight: the registry does not fit this host's GPUs: "


def refused(gpu_preflight, registry, facts) -> str:
    with pytest.raises(AnsibleFilterError) as info:
        gpu_preflight(registry, facts)
    assert isinstance(info.value.__cause__, RegistryError)
    return str(info.value)


def test_lab_on_an_h100(gpu_preflight, lab_registry, detected):
    plan = gpu_preflight(lab_registry, detected(H100_X1))
    assert plan == {
        "profile": "gpu",
        "cuda_architectures": "90",
        "driver_version": "580.95.05",
        "devices": [
            {
                "index": 0,
                "uuid": "GPU-6b3f9a4e-2c1d-4e8f-9a7b-0c5d3e2f1a90",
                "name": "NVIDIA H100 80GB HBM3",
                "vram_gb": 79.6,
                "compute_cap": "9.0",
                "cuda_arch": "90",
                "planned": True,
                "engines": {"ollama": 14.0, "llamacpp-python": 1.0, "llamacpp-native": 2.0, "vllm": 43.8},
                "used_gb": 60.8,
                "usable_gb": 77.6,
            }
        ],
        "warnings": [],
        "summary": (
            "GPU profile gpu: 1 NVIDIA GPU(s), driver 580.95.05: GPU 0 NVIDIA H100 80GB HBM3 79.6 GB cc 9.0, "
            "planned 60.8/77.6 GB usable; CUDA architectures 90"
        ),
    }


def test_lab_on_an_l4_names_every_engine_share(gpu_preflight, lab_registry, detected):
    assert refused(gpu_preflight, lab_registry, detected(L4_X1)) == NOT_FIT + (
        "the registry has 3 problems:\n"
        "  - aib_gpu.cuda_architectures: ['90'] does not cover GPU 0 (NVIDIA L4, compute capability 8.9); "
        'add "89" (builds for these architectures only would not run on it)\n'
        "  - aib_gpu.devices[0]: VRAM over-committed on GPU 0 (NVIDIA L4, 22.5 GB detected): "
        "ollama 14.0 GB (declared gpu.vram_gb) + llamacpp-python 1.0 GB (declared gpu.vram_gb) + "
        "llamacpp-native 2.0 GB (declared gpu.vram_gb) + "
        "vllm 12.4 GB (gpu_memory_utilization 0.55 x 22.5 GB) "
        "= 29.4 GB > 20.5 GB usable (22.5 GB detected - 2 GB headroom); lower a share "
        "(vLLM: gpu_memory_utilization) or move an engine to another GPU\n"
        "  - aib_gpu.devices[0].vram_gb: the plan assumes 80 GB, but GPU 0 (NVIDIA L4) has 22.5 GB "
        "(23034 MiB); set vram_gb to at most 22.5"
    )


def test_lab_without_a_gpu(gpu_preflight, lab_registry):
    assert refused(gpu_preflight, lab_registry, NO_NVIDIA_SMI) == NOT_FIT + (
        "the registry has 1 problem:\n"
        "  - aib_gpu.devices: this host shows no NVIDIA GPU (nvidia-smi not found), but the registry plans "
        "1 GPU(s) in aib_gpu.devices, used by: ollama, llamacpp-python, llamacpp-native, vllm (their gpu "
        "sections); remove the gpu sections and aib_gpu.devices for the CPU profile, or install the NVIDIA "
        "driver (nvidia-smi must list the GPUs)"
    )


def test_default_cpu_profile_without_a_gpu(gpu_preflight, default_registry):
    assert gpu_preflight(default_registry, NO_NVIDIA_SMI) == {
        "profile": "cpu",
        "cuda_architectures": "",
        "driver_version": None,
        "devices": [],
        "warnings": [],
        "summary": "GPU profile cpu: no NVIDIA GPU (nvidia-smi not found); the engines run on the CPU",
    }


def test_default_cpu_profile_on_a_gpu_host_warns(gpu_preflight, default_registry, detected):
    plan = gpu_preflight(default_registry, detected(H100_X8))
    assert plan["profile"] == "cpu"
    assert plan["cuda_architectures"] == "90"
    assert [d["planned"] for d in plan["devices"]] == [False] * 8
    assert plan["warnings"] == [
        "this host has 8 NVIDIA GPU(s) but the registry plans none (no gpu sections, no aib_gpu.devices); "
        "the engines run on the CPU"
    ]


def test_model_name_mismatch_is_a_warning(gpu_preflight, lab_registry, detected):
    lab_registry["aib_gpu"]["devices"][0]["model"] = "NVIDIA H100 PCIe"
    plan = gpu_preflight(lab_registry, detected(H100_X1))
    assert plan["warnings"] == [
        "aib_gpu.devices[0].model: the registry plans 'NVIDIA H100 PCIe', nvidia-smi shows "
        "'NVIDIA H100 80GB HBM3' on GPU 0; update the model name"
    ]


def test_planned_gpu_index_not_on_the_host(gpu_preflight, lab_registry, detected):
    lab_registry["aib_gpu"]["devices"].append({"index": 1, "vram_gb": 80})
    lab_registry["aib_providers"]["vllm"]["gpu"]["devices"] = [1]
    assert refused(gpu_preflight, lab_registry, detected(H100_X1)) == NOT_FIT + (
        "the registry has 2 problems:\n"
        "  - aib_gpu.devices[1].index: GPU 1 is not on this host (nvidia-smi shows GPU 0); describe the "
        "host's real GPUs in aib_gpu.devices\n"
        "  - aib_providers.vllm.gpu.devices[0]: GPU 1 is not on this host (nvidia-smi shows GPU 0); use one "
        "of these indexes or remove the gpu section for the CPU"
    )


def test_detected_vram_is_the_budget(gpu_preflight, lab_registry, detected):
    # Fits the registry's own plan (80 GB - 2 = 78 >= 14 + 1 + 2 + 0.762 x 80 = 77.96),
    # not the card's 79.6 GB (77.6 usable < 17 + 0.762 x 79.6 = 77.66).
    lab_registry["aib_providers"]["vllm"]["settings"]["gpu_memory_utilization"] = 0.762
    assert refused(gpu_preflight, lab_registry, detected(H100_X1)) == NOT_FIT + (
        "the registry has 1 problem:\n"
        "  - aib_gpu.devices[0]: VRAM over-committed on GPU 0 (NVIDIA H100 80GB HBM3, 79.6 GB detected): "
        "ollama 14.0 GB (declared gpu.vram_gb) + llamacpp-python 1.0 GB (declared gpu.vram_gb) + "
        "llamacpp-native 2.0 GB (declared gpu.vram_gb) + "
        "vllm 60.7 GB (gpu_memory_utilization 0.762 x 79.6 GB) "
        "= 77.7 GB > 77.6 GB usable (79.6 GB detected - 2 GB headroom); lower a share "
        "(vLLM: gpu_memory_utilization) or move an engine to another GPU"
    )


def test_two_gpus_architectures_from_the_registry(gpu_preflight, lab_registry, detected):
    lab_registry["aib_gpu"] = {
        "devices": [
            {"index": 0, "model": "NVIDIA A100-SXM4-80GB", "vram_gb": 80},
            {"index": 1, "model": "NVIDIA L4", "vram_gb": 22.5},
        ],
        "headroom_gb": 1,
        "cuda_architectures": ["80", "89"],
    }
    lab_registry["aib_providers"]["ollama"]["gpu"]["devices"] = [1]
    plan = gpu_preflight(lab_registry, detected(A100_L4))
    assert plan["cuda_architectures"] == "80;89"
    assert [d["engines"] for d in plan["devices"]] == [
        {"llamacpp-python": 1.0, "llamacpp-native": 2.0, "vllm": 44.0},
        {"ollama": 14.0},
    ]
    assert plan["warnings"] == []


def test_detected_architectures_when_the_registry_names_none(gpu_preflight, lab_registry, detected):
    lab_registry["aib_gpu"]["cuda_architectures"] = []
    lab_registry["aib_gpu"]["devices"] = [
        {"index": 0, "vram_gb": 80},
        {"index": 1, "vram_gb": 22},
    ]
    plan = gpu_preflight(lab_registry, detected(A100_L4))
    assert plan["cuda_architectures"] == "80;89"


@pytest.mark.parametrize(
    ("archs", "outcome"),
    [
        (["90"], "ok"),
        (["90a"], "ok"),
        (["90-real"], "ok"),
        (["86", "90"], "ok"),
        (["80"], "ptx"),
        (["80-virtual"], "ptx"),
        (["80-real"], "refused"),
        (["89a"], "refused"),
        (["100"], "refused"),
    ],
)
def test_registry_architectures_must_cover_the_gpu(gpu_preflight, lab_registry, detected, archs, outcome):
    lab_registry["aib_gpu"]["cuda_architectures"] = archs
    if outcome == "refused":
        assert refused(gpu_preflight, lab_registry, detected(H100_X1)) == NOT_FIT + (
            "the registry has 1 problem:\n"
            f"  - aib_gpu.cuda_architectures: {archs} does not cover GPU 0 (NVIDIA H100 80GB HBM3, compute "
            'capability 9.0); add "90" (builds for these architectures only would not run on it)'
        )
        return
    plan = gpu_preflight(lab_registry, detected(H100_X1))
    assert plan["cuda_architectures"] == ";".join(archs)
    assert plan["warnings"] == (
        []
        if outcome == "ok"
        else [
            f"aib_gpu.cuda_architectures: {archs} has no machine code for GPU 0 (NVIDIA H100 80GB HBM3, "
            'compute capability 9.0); the driver compiles PTX at the first start (slow); add "90"'
        ]
    )


def test_unknown_sizes_are_not_budgeted(gpu_preflight, default_registry, detected):
    plan = gpu_preflight(default_registry, detected(NOT_AVAILABLE))
    assert plan["profile"] == "cpu"
    assert plan["devices"][0]["vram_gb"] is None


def test_invalid_registry_is_refused_first(gpu_preflight, lab_registry, detected):
    lab_registry["aib_gpu"]["headroom"] = 2
    assert refused(gpu_preflight, lab_registry, detected(H100_X1)) == (
        "aib_gpu_preflight: invalid registry: the registry has 1 problem:\n"
        "  - aib_gpu.headroom: unknown key 'headroom'; remove it or fix its spelling (see docs/registry.md)"
    )


def test_malformed_facts(gpu_preflight, default_registry):
    with pytest.raises(AnsibleFilterError) as info:
        gpu_preflight(default_registry, {"present": "maybe", "source": "lspci"})
    assert str(info.value) == (
        "aib_gpu_preflight: the detected GPU facts are malformed (pass ansible_facts['aib_gpu_detected'] "
        "of the module aib_nvidia_gpu_facts): the registry has 2 problems:\n"
        "  - aib_gpu_detected.present: Input should be a valid boolean, unable to interpret input\n"
        "  - aib_gpu_detected.source: Input should be 'nvidia-smi' or 'none'"
    )
