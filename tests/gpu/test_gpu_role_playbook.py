"""The module aib_nvidia_gpu_facts and the role `gpu` run for real by ansible-playbook on localhost,
with a test double of nvidia-smi (a script printing a captured H100 line) or none at all."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.gpu.conftest import DRIVER_FAILURE, H100_DEVICE, H100_X1, ROOT

ANSIBLE_PLAYBOOK = str(Path(sys.executable).with_name("ansible-playbook"))
pytestmark = pytest.mark.slow


def fake_nvidia_smi(directory: Path, stdout: str, rc: int = 0) -> Path:
    """A test double named nvidia-smi: prints `stdout` for any arguments and exits with `rc`."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "nvidia-smi"
    path.write_text(f"#!/bin/sh\n# test double of nvidia-smi\ncat <<'OUT'\n{stdout}OUT\nexit {rc}\n")
    path.chmod(0o755)
    return path


def play(tmp_path: Path, registry: dict, path_dirs: list[Path], *extra: str) -> tuple[int, str, dict]:
    reg = tmp_path / "registry.json"
    reg.write_text(json.dumps({"gpu_test_registry": registry}))
    out = tmp_path / "facts.json"
    env = {
        **os.environ,
        # Only the test's directories and the basics: the host's own nvidia-smi must not be found.
        "PATH": os.pathsep.join([*map(str, path_dirs), str(Path(sys.executable).parent), "/usr/bin", "/bin"]),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_LOCALHOST_WARNING": "false",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
    }
    proc = subprocess.run(
        [ANSIBLE_PLAYBOOK, "tests/gpu/facts.yml", "-i", "localhost,", "-e", f"@{reg}",
         "-e", f"gpu_test_out={out}", *extra],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    output = proc.stdout + proc.stderr
    return proc.returncode, output, (json.loads(out.read_text()) if out.exists() else {})


def test_fake_h100_with_the_lab_registry(tmp_path, lab_registry):
    fake_nvidia_smi(tmp_path / "bin", H100_X1)
    rc, output, facts = play(tmp_path, lab_registry, [tmp_path / "bin"])
    assert rc == 0, output
    assert facts["aib_gpu_detected"] == {
        "present": True,
        "driver_version": "580.95.05",
        "devices": [H100_DEVICE],
        "source": "nvidia-smi",
        "reason": None,
    }
    assert facts["aib_gpu_profile"] == "gpu"
    assert facts["aib_gpu_cuda_architectures"] == "90"
    summary = (
        "GPU profile gpu: 1 NVIDIA GPU(s), driver 580.95.05: GPU 0 NVIDIA H100 80GB HBM3 79.6 GB cc 9.0, "
        "planned 60.8/77.6 GB usable; CUDA architectures 90"
    )
    assert facts["aib_gpu_plan"]["summary"] == summary
    assert summary in " ".join(output.split())  # the one line the role prints (the callback wraps it)


def test_no_nvidia_smi_is_a_cpu_host(tmp_path, default_registry):
    rc, output, facts = play(tmp_path, default_registry, [])
    assert rc == 0, output
    assert facts["aib_gpu_detected"] == {
        "present": False,
        "driver_version": None,
        "devices": [],
        "source": "none",
        "reason": "nvidia-smi not found",
    }
    assert facts["aib_gpu_profile"] == "cpu"
    assert facts["aib_gpu_cuda_architectures"] == ""


def test_no_nvidia_smi_refuses_the_lab_registry(tmp_path, lab_registry):
    rc, output, facts = play(tmp_path, lab_registry, [])
    assert rc == 2
    assert facts == {}
    assert "this host shows no NVIDIA GPU (nvidia-smi not found)" in output


def test_driver_not_loaded_fails_unless_allowed(tmp_path, default_registry):
    fake = fake_nvidia_smi(tmp_path / "bin", DRIVER_FAILURE, rc=9)
    rc, output, _ = play(tmp_path, default_registry, [], "-e", f"gpu_nvidia_smi_path={fake}")
    assert rc == 2
    assert "couldn't communicate with the NVIDIA driver" in output
    assert "set allow_missing_driver: true" in output
    rc, output, facts = play(
        tmp_path,
        default_registry,
        [],
        "-e",
        f"gpu_nvidia_smi_path={fake}",
        "-e",
        "gpu_allow_missing_driver=true",
    )
    assert rc == 0, output
    assert facts["aib_gpu_detected"]["present"] is False
    assert facts["aib_gpu_detected"]["reason"].startswith("nvidia-smi failed (rc 9): NVIDIA-SMI has failed")
    assert facts["aib_gpu_profile"] == "cpu"


def test_check_mode_detects_too(tmp_path, lab_registry):
    fake_nvidia_smi(tmp_path / "bin", H100_X1)
    rc, output, _ = play(tmp_path, lab_registry, [tmp_path / "bin"], "--check")
    assert rc == 0, output
    assert "GPU profile gpu: 1 NVIDIA GPU(s)" in " ".join(output.split())
