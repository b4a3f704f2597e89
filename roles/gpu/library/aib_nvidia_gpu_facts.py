#!/usr/bin/python
"""Ansible module aib_nvidia_gpu_facts: the host's NVIDIA GPUs from nvidia-smi."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: aib_nvidia_gpu_facts
short_description: Detect the host's NVIDIA GPUs (count, model, VRAM, compute capability, driver)
description:
  - Runs C(nvidia-smi --query-gpu=index,uuid,name,memory.total,compute_cap,driver_version
    --format=csv,noheader,nounits) and returns C(ansible_facts.aib_gpu_detected).
  - No nvidia-smi on the host is not a failure, it means no GPU (C(present=false), C(source=none)).
  - nvidia-smi that fails (the driver is not loaded) fails the module with its output, unless
    O(allow_missing_driver=true), which returns C(present=false) with the reason.
  - Read-only; runs in check mode too.
options:
  nvidia_smi_path:
    description: Path of nvidia-smi. Default: looked up on PATH (and /usr/bin, /usr/local/bin).
    type: path
  allow_missing_driver:
    description: Treat a failing nvidia-smi (driver not loaded) as "no GPU" instead of failing.
    type: bool
    default: false
  timeout:
    description: Seconds to wait for nvidia-smi.
    type: int
    default: 30
author: AI Unified Backend
"""

EXAMPLES = r"""
- name: Detect NVIDIA GPUs
  aib_nvidia_gpu_facts:

- name: Detect NVIDIA GPUs, a host whose driver is not loaded counts as a CPU host
  aib_nvidia_gpu_facts:
    allow_missing_driver: true
"""

RETURN = r"""
ansible_facts:
  description: Facts set on the host.
  returned: always
  type: dict
  contains:
    aib_gpu_detected:
      description: >-
        {present, driver_version, devices: [{index, uuid, name, vram_mib, vram_gb, compute_cap, cuda_arch}],
        source (nvidia-smi | none), reason}. vram_gb is GiB (vram_mib / 1024, two decimals);
        cuda_arch is the compute capability without the dot (9.0 -> "90"). Fields nvidia-smi reports
        as [N/A] or [Not Supported] are null.
      type: dict
      returned: always
"""

import os  # noqa: E402
import re  # noqa: E402
import subprocess  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

QUERY = "index,uuid,name,memory.total,compute_cap,driver_version"
FIELDS = 6
_MISSING = {"", "[N/A]", "[Not Supported]", "N/A", "[Unknown Error]", "[Insufficient Permissions]"}
DRIVER_ADVICE = (
    "nvidia-smi is installed but cannot talk to the NVIDIA driver: load it (modprobe nvidia, or reboot "
    "after a driver/kernel update) and check `nvidia-smi`; or set allow_missing_driver: true "
    "(role gpu: gpu_allow_missing_driver) to treat this host as a CPU host"
)


def _value(raw: str) -> str | None:
    raw = raw.strip()
    return None if raw in _MISSING else raw


def parse_nvidia_smi(stdout: str) -> list[dict]:
    """Devices from `nvidia-smi --query-gpu=<QUERY> --format=csv,noheader,nounits` output.

    Raises ValueError naming the line when a line is not what that query prints."""
    devices = []
    for number, line in enumerate(stdout.splitlines(), 1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split(",")]
        if len(parts) < FIELDS:
            raise ValueError(
                f"line {number} of nvidia-smi's output has {len(parts)} fields, not {FIELDS}: {line!r}"
            )
        # A name with a comma: everything between uuid and the last three fields.
        index, uuid, name = parts[0], parts[1], ", ".join(parts[2 : len(parts) - 3])
        memory, cap, _driver = parts[-3:]
        if not index.isdigit():
            raise ValueError(f"line {number} of nvidia-smi's output has no GPU index: {line!r}")
        mib = _value(memory)
        if mib is not None and not re.fullmatch(r"\d+", mib):
            raise ValueError(f"line {number}: memory.total {mib!r} is not a number of MiB: {line!r}")
        cap = _value(cap)
        if cap is not None and not re.fullmatch(r"\d{1,2}\.\d{1,2}", cap):
            raise ValueError(f"line {number}: compute_cap {cap!r} is not like 9.0: {line!r}")
        devices.append(
            {
                "index": int(index),
                "uuid": _value(uuid),
                "name": _value(name) or "unknown NVIDIA GPU",
                "vram_mib": int(mib) if mib is not None else None,
                "vram_gb": round(int(mib) / 1024, 2) if mib is not None else None,
                "compute_cap": cap,
                "cuda_arch": cap.replace(".", "") if cap is not None else None,
            }
        )
    return devices


def driver_version(stdout: str) -> str | None:
    """The driver version of the first line that has one (every GPU shares the driver)."""
    for line in stdout.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) >= FIELDS and _value(parts[-1]):
            return parts[-1]
    return None


def detect(rc: int, stdout: str, stderr: str, allow_missing_driver: bool) -> tuple[dict, str | None]:
    """(facts, error): the facts for one nvidia-smi run; error is the failure message, if any."""
    output = "\n".join(s.strip() for s in (stdout, stderr) if s.strip())
    none = {"present": False, "driver_version": None, "devices": [], "source": "nvidia-smi"}
    if rc != 0:
        if "No devices were found" in output:
            return {**none, "reason": "nvidia-smi found no devices"}, None
        reason = f"nvidia-smi failed (rc {rc}): {output or 'no output'}"
        if allow_missing_driver:
            return {**none, "reason": reason}, None
        return {**none, "reason": reason}, f"{reason.rstrip('.')}. {DRIVER_ADVICE}"
    try:
        devices = parse_nvidia_smi(stdout)
    except ValueError as exc:
        return {**none, "reason": str(exc)}, f"cannot read nvidia-smi's output: {exc}"
    if not devices:
        return {**none, "reason": "nvidia-smi lists no GPU"}, None
    return {
        "present": True,
        "driver_version": driver_version(stdout),
        "devices": devices,
        "source": "nvidia-smi",
        "reason": None,
    }, None


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "nvidia_smi_path": {"type": "path"},
            "allow_missing_driver": {"type": "bool", "default": False},
            "timeout": {"type": "int", "default": 30},
        },
        supports_check_mode=True,
    )
    path = module.params["nvidia_smi_path"] or module.get_bin_path(
        "nvidia-smi", opt_dirs=["/usr/bin", "/usr/local/bin", "/usr/local/nvidia/bin"]
    )
    if not path:
        facts = {
            "present": False,
            "driver_version": None,
            "devices": [],
            "source": "none",
            "reason": "nvidia-smi not found",
        }
        module.exit_json(changed=False, ansible_facts={"aib_gpu_detected": facts})
    cmd = [path, f"--query-gpu={QUERY}", "--format=csv,noheader,nounits"]
    if not os.access(path, os.X_OK):
        module.fail_json(msg=f"nvidia_smi_path {path} is not an executable file", cmd=cmd)
    try:
        proc = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=module.params["timeout"],
            check=False,
        )
    except subprocess.TimeoutExpired:
        module.fail_json(
            msg=f"nvidia-smi did not answer within {module.params['timeout']} s (a hung driver?); "
            "check `nvidia-smi` on the host",
            cmd=cmd,
        )
    except OSError as exc:
        module.fail_json(msg=f"cannot run {path}: {exc}", cmd=cmd)
    rc, stdout, stderr = proc.returncode, proc.stdout, proc.stderr
    facts, error = detect(rc, stdout, stderr, module.params["allow_missing_driver"])
    if error:
        module.fail_json(msg=error, cmd=cmd, rc=rc, stdout=stdout, stderr=stderr)
    module.exit_json(changed=False, ansible_facts={"aib_gpu_detected": facts}, cmd=cmd)


if __name__ == "__main__":
    main()
