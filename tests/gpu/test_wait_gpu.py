"""roles/_common/files/aib-wait-gpu (ExecStartPre of GPU engine units) and templates/unit_gpu.j2."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import jinja2
import pytest

from tests.gpu.conftest import ROOT

SCRIPT = ROOT / "roles" / "_common" / "files" / "aib-wait-gpu"
SMI_LIST = "GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-6b3f9a4e-2c1d-4e8f-9a7b-0c5d3e2f1a90)\n"


def wait(tmp_path: Path, devices: str, timeout: str = "1", smi_rc: int = 0, nodes=("nvidiactl", "nvidia0")):
    dev = tmp_path / "dev"
    dev.mkdir(exist_ok=True)
    for node in nodes:
        (dev / node).touch()
    smi = tmp_path / "nvidia-smi"  # a test double of nvidia-smi -L
    smi.write_text(f"#!/bin/sh\ncat <<'OUT'\n{SMI_LIST}OUT\nexit {smi_rc}\n")
    smi.chmod(0o755)
    env = {
        "PATH": os.environ["PATH"],
        "CUDA_VISIBLE_DEVICES": devices,
        "AIB_GPU_DEV_DIR": str(dev),
        "AIB_NVIDIA_SMI": str(smi),
    }
    proc = subprocess.run(["sh", str(SCRIPT), timeout], env=env, capture_output=True, text=True, check=False)
    return proc.returncode, proc.stderr.replace(str(dev), "DEV")


@pytest.mark.parametrize("devices", ["0", "", "GPU-6b3f9a4e-2c1d-4e8f-9a7b-0c5d3e2f1a90", " 0 "])
def test_ready(tmp_path, devices):
    assert wait(tmp_path, devices) == (0, "")


def test_missing_device_node_times_out(tmp_path):
    assert wait(tmp_path, "0,1") == (
        1,
        "aib-wait-gpu: GPU(s) '0,1' not ready after 1 s: DEV/nvidia1 is missing (GPU 1). Is the NVIDIA "
        "driver loaded (nvidia-smi)? Exiting 1 so that systemd retries the unit instead of the engine "
        "starting on the CPU.\n",
    )


def test_driver_not_loaded(tmp_path):
    rc, err = wait(tmp_path, "0", nodes=())
    assert rc == 1
    assert "DEV/nvidiactl is missing (driver not loaded)" in err


def test_nvidia_smi_failing(tmp_path):
    rc, err = wait(tmp_path, "0", smi_rc=9)
    assert rc == 1
    assert "nvidia-smi -L failed: GPU 0: NVIDIA H100 80GB HBM3" in err


def test_uuid_not_listed(tmp_path):
    rc, err = wait(tmp_path, "GPU-00000000-0000-0000-0000-000000000000")
    assert rc == 1
    assert "nvidia-smi -L does not list GPU-00000000-0000-0000-0000-000000000000" in err


def test_bad_timeout(tmp_path):
    assert wait(tmp_path, "0", timeout="1m") == (
        2,
        "aib-wait-gpu: the timeout must be whole seconds, got '1m'\n",
    )


def render_unit_gpu(unit_gpu: dict | None) -> str:
    env = jinja2.Environment(  # noqa: S701 - a systemd unit, not HTML
        loader=jinja2.FileSystemLoader(ROOT / "roles" / "_common" / "templates"),
        trim_blocks=True,  # as Ansible's template module
        undefined=jinja2.StrictUndefined,
    )
    source = "{% set unit_gpu = gpu %}{% include 'unit_gpu.j2' %}"
    text = env.from_string(source).render(gpu=unit_gpu, aib_home="/var/lib/aib")
    return "\n".join(line for line in text.splitlines() if line and not line.startswith("#"))


def test_unit_gpu_with_the_wait():
    assert render_unit_gpu({"devices": "0,1", "wait": True, "timeout_s": 90}) == (
        "Environment=CUDA_DEVICE_ORDER=PCI_BUS_ID\n"
        "Environment=CUDA_VISIBLE_DEVICES=0,1\n"
        "ExecStartPre=/var/lib/aib/bin/aib-wait-gpu 90\n"
        "TimeoutStartSec=150"
    )


def test_unit_gpu_cpu_engine():
    assert render_unit_gpu({"devices": "", "wait": False}) == (
        "Environment=CUDA_DEVICE_ORDER=PCI_BUS_ID\nEnvironment=CUDA_VISIBLE_DEVICES="
    )
    assert (
        render_unit_gpu(None) == "Environment=CUDA_DEVICE_ORDER=PCI_BUS_ID\nEnvironment=CUDA_VISIBLE_DEVICES="
    )


def test_unit_gpu_keeps_private_devices_off():
    text = (ROOT / "roles" / "_common" / "templates" / "unit_gpu.j2").read_text()
    assert "PrivateDevices=yes" not in render_unit_gpu({"devices": "0", "wait": True})
    assert "Never turn on PrivateDevices" in text
