"""The host's GPUs as detected (module `aib_nvidia_gpu_facts`) checked against the registry's plan.

`check_detected(registry, detected)` runs on the controller before anything is installed:

- the registry plans GPUs (an enabled local engine with a `gpu` section, or `aib_gpu.devices`) but the
  host shows none: refused;
- every planned GPU index must be on the host, and `aib_gpu.devices[i].vram_gb` may not exceed what
  nvidia-smi reports (beyond a small tolerance: an "80 GB" H100 shows 81559 MiB = 79.6 GB);
- the engines' shares must fit each GPU's DETECTED VRAM minus `aib_gpu.headroom_gb`, with the share
  logic of the registry's own budget check (`schemas.registry._engine_share`);
- the CUDA architectures of builds: `aib_gpu.cuda_architectures` when set (each detected GPU must be
  covered), else the detected compute capabilities. Never `native`.

A model name that differs from `aib_gpu.devices[i].model` is a warning, not an error.
GB here are GiB (1024 MiB), as in nvidia-smi's MiB figures.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError

from .base import Strict, pattern
from .errors import Issue, RegistryError, format_path
from .gateway import CudaArch
from .providers import LOCAL_TYPES
from .registry import Registry, _engine_share

# nvidia-smi reports a little less than the nominal size; a plan may round up by this much.
VRAM_TOLERANCE_GB = 1.0

ComputeCap = pattern(r"\d{1,2}\.\d{1,2}", "a compute capability such as 8.6 or 9.0")


class DetectedDevice(Strict):
    """One GPU as nvidia-smi lists it; a field nvidia-smi reports as [N/A] is null."""

    index: Annotated[int, Field(ge=0, le=63)]
    uuid: str | None = None
    name: str
    vram_mib: Annotated[int, Field(ge=0)] | None = None
    vram_gb: Annotated[float, Field(ge=0)] | None = None
    compute_cap: ComputeCap | None = None
    cuda_arch: CudaArch | None = None


class DetectedGpus(Strict):
    """`ansible_facts.aib_gpu_detected` of the module aib_nvidia_gpu_facts."""

    present: bool
    driver_version: str | None = None
    devices: list[DetectedDevice] = []
    source: Literal["nvidia-smi", "none"]
    reason: str | None = None


class PlannedDevice(Strict):
    index: int
    uuid: str | None
    name: str
    vram_gb: float | None
    compute_cap: str | None
    cuda_arch: str | None
    planned: bool
    engines: dict[str, float] = {}
    used_gb: float = 0.0
    usable_gb: float | None = None


class GpuPlan(Strict):
    profile: Literal["gpu", "cpu"]
    cuda_architectures: str
    driver_version: str | None
    devices: list[PlannedDevice]
    warnings: list[str]
    summary: str

    def plain(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def validate_detected(data: Any) -> DetectedGpus:
    """The module's facts as a model; a malformed dict raises RegistryError with paths under
    `aib_gpu_detected` (it comes from the module, so this means module and filter disagree)."""
    try:
        return DetectedGpus.model_validate(data)
    except ValidationError as exc:
        raise RegistryError(
            Issue(format_path(["aib_gpu_detected", *err["loc"]]), err["msg"]) for err in exc.errors()
        ) from None


def _gb(mib: int | None) -> float | None:
    """MiB -> GB (GiB) with one decimal: 81559 MiB -> 79.6."""
    return None if mib is None else round(mib / 1024, 1)


def _arch_parts(arch: str) -> tuple[int, str, str]:
    """'90a-real' -> (90, 'a', 'real'); '86' -> (86, '', '')."""
    base, _, kind = arch.partition("-")
    suffix = base[-1] if base[-1].isalpha() else ""
    return int(base.rstrip("abcdefghijklmnopqrstuvwxyz")), suffix, kind


def _covers(arch: str, device_arch: str) -> Literal["binary", "ptx", "no"]:
    """How a CMAKE_CUDA_ARCHITECTURES entry runs on a GPU of `device_arch` (e.g. '89').

    Machine code (`86`, `86-real`) runs on the same major version with an equal or higher minor;
    PTX (`86`, `86-virtual`) is compiled by the driver for any newer GPU (slow first start);
    `90a` code runs only on 9.0 itself."""
    number, suffix, kind = _arch_parts(arch)
    dev = int(device_arch.rstrip("abcdefghijklmnopqrstuvwxyz"))
    if suffix == "a":
        return "binary" if number == dev and kind != "virtual" else "no"
    if kind != "virtual" and number // 10 == dev // 10 and number <= dev:
        return "binary"
    if kind != "real" and number <= dev:
        return "ptx"
    return "no"


def _planned_providers(reg: Registry) -> dict[str, Any]:
    return {
        name: p
        for name, p in reg.aib_providers.items()
        if p.type in LOCAL_TYPES and p.enabled and p.gpu is not None
    }


def _check_architectures(
    reg: Registry, devices: list[DetectedDevice], planned: bool, warnings: list[str]
) -> tuple[str, list[Issue]]:
    """CMAKE_CUDA_ARCHITECTURES for the builds; a GPU of unknown capability matters only when planned."""
    wanted = list(reg.aib_gpu.cuda_architectures)
    issues: list[Issue] = []
    if not wanted:
        archs = sorted({d.cuda_arch for d in devices if d.cuda_arch}, key=lambda a: _arch_parts(a)[0])
        missing = [d for d in devices if not d.cuda_arch] if planned else []
        for d in missing:
            issues.append(
                Issue(
                    "aib_gpu.cuda_architectures",
                    f"nvidia-smi reports no compute capability for GPU {d.index} ({d.name}); "
                    'list the CUDA architectures to build for here, e.g. ["90"]',
                )
            )
        return ";".join(archs), issues
    for d in devices:
        if not d.cuda_arch:
            continue
        how = {a: _covers(a, d.cuda_arch) for a in wanted}
        if "binary" in how.values():
            continue
        if "ptx" in how.values():
            warnings.append(
                f"aib_gpu.cuda_architectures: {wanted} has no machine code for GPU {d.index} ({d.name}, "
                f"compute capability {d.compute_cap}); the driver compiles PTX at the first start "
                f'(slow); add "{d.cuda_arch}"'
            )
            continue
        issues.append(
            Issue(
                "aib_gpu.cuda_architectures",
                f"{wanted} does not cover GPU {d.index} ({d.name}, compute capability {d.compute_cap}); "
                f'add "{d.cuda_arch}" (builds for these architectures only would not run on it)',
            )
        )
    return ";".join(wanted), issues


def check_detected(registry: Registry, detected: DetectedGpus | dict[str, Any]) -> GpuPlan:
    """Check the validated registry against the detected GPUs; RegistryError lists every problem."""
    det = detected if isinstance(detected, DetectedGpus) else validate_detected(detected)
    gpu = registry.aib_gpu
    providers = _planned_providers(registry)
    planned = bool(providers) or bool(gpu.devices)
    warnings: list[str] = []
    issues: list[Issue] = []
    found = {d.index: d for d in det.devices} if det.present else {}

    if planned and not found:
        why = det.reason or "nvidia-smi lists no GPU"
        users = ", ".join(providers) or "no engine yet"
        issues.append(
            Issue(
                "aib_gpu.devices" if gpu.devices else f"aib_providers.{next(iter(providers))}.gpu",
                f"this host shows no NVIDIA GPU ({why}), but the registry plans "
                f"{len(gpu.devices)} GPU(s) in aib_gpu.devices, used by: {users} (their gpu sections); "
                "remove the gpu sections and aib_gpu.devices for the CPU profile, or install the NVIDIA "
                "driver (nvidia-smi must list the GPUs)",
            )
        )
        raise RegistryError(issues)

    shown = ", ".join(str(i) for i in sorted(found)) or "none"
    for i, dev in enumerate(gpu.devices):
        path = f"aib_gpu.devices[{i}]"
        real = found.get(dev.index)
        if real is None:
            issues.append(
                Issue(
                    f"{path}.index",
                    f"GPU {dev.index} is not on this host (nvidia-smi shows GPU {shown}); "
                    "describe the host's real GPUs in aib_gpu.devices",
                )
            )
            continue
        real_gb = _gb(real.vram_mib)
        if real_gb is not None and dev.vram_gb > real_gb + VRAM_TOLERANCE_GB:
            issues.append(
                Issue(
                    f"{path}.vram_gb",
                    f"the plan assumes {dev.vram_gb:g} GB, but GPU {dev.index} ({real.name}) has "
                    f"{real_gb:g} GB ({real.vram_mib} MiB); set vram_gb to at most {real_gb:g}",
                )
            )
        if dev.model and dev.model != real.name:
            warnings.append(
                f"{path}.model: the registry plans {dev.model!r}, nvidia-smi shows {real.name!r} on "
                f"GPU {dev.index}; update the model name"
            )

    usage: dict[int, list[tuple[str, float, str]]] = {}
    for name, p in providers.items():
        for i, idx in enumerate(p.gpu.devices):
            real = found.get(idx)
            if real is None:
                issues.append(
                    Issue(
                        f"aib_providers.{name}.gpu.devices[{i}]",
                        f"GPU {idx} is not on this host (nvidia-smi shows GPU {shown}); "
                        "use one of these indexes or remove the gpu section for the CPU",
                    )
                )
                continue
            real_gb = _gb(real.vram_mib)
            if real_gb is None:
                warnings.append(
                    f"aib_providers.{name}.gpu: nvidia-smi reports no memory size for GPU {idx}; "
                    "its VRAM budget is not checked against the card"
                )
                continue
            share, how = _engine_share(p, real_gb)
            usage.setdefault(idx, []).append((name, share, how))

    positions = {d.index: i for i, d in enumerate(gpu.devices)}
    per_device: dict[int, tuple[dict[str, float], float, float]] = {}
    for idx, shares in sorted(usage.items()):
        real = found[idx]
        real_gb = _gb(real.vram_mib) or 0.0
        usable = real_gb - gpu.headroom_gb
        total = sum(s for _, s, _ in shares)
        per_device[idx] = ({n: round(s, 1) for n, s, _ in shares}, round(total, 1), round(usable, 1))
        if total > usable + 1e-9:
            parts = " + ".join(f"{n} {s:.1f} GB ({how})" for n, s, how in shares)
            path = f"aib_gpu.devices[{positions[idx]}]" if idx in positions else "aib_gpu.devices"
            issues.append(
                Issue(
                    path,
                    f"VRAM over-committed on GPU {idx} ({real.name}, {real_gb:g} GB detected): {parts} = "
                    f"{total:.1f} GB > {usable:.1f} GB usable ({real_gb:g} GB detected - "
                    f"{gpu.headroom_gb:g} GB headroom); lower a share (vLLM: gpu_memory_utilization) "
                    "or move an engine to another GPU",
                )
            )

    devices = sorted(found.values(), key=lambda d: d.index)
    archs, arch_issues = _check_architectures(registry, devices, planned, warnings) if devices else ("", [])
    issues.extend(arch_issues)
    if issues:
        raise RegistryError(issues)

    if devices and not planned:
        warnings.append(
            f"this host has {len(devices)} NVIDIA GPU(s) but the registry plans none (no gpu sections, "
            "no aib_gpu.devices); the engines run on the CPU"
        )
    profile: Literal["gpu", "cpu"] = "gpu" if planned else "cpu"
    out = [
        PlannedDevice(
            index=d.index,
            uuid=d.uuid,
            name=d.name,
            vram_gb=_gb(d.vram_mib),
            compute_cap=d.compute_cap,
            cuda_arch=d.cuda_arch,
            planned=d.index in positions or d.index in per_device,
            engines=per_device.get(d.index, ({}, 0.0, None))[0],
            used_gb=per_device.get(d.index, ({}, 0.0, None))[1],
            usable_gb=per_device[d.index][2] if d.index in per_device else None,
        )
        for d in devices
    ]
    return GpuPlan(
        profile=profile,
        cuda_architectures=archs,
        driver_version=det.driver_version if devices else None,
        devices=out,
        warnings=warnings,
        summary=_summary(profile, archs, det, out, warnings),
    )


def _summary(
    profile: str, archs: str, det: DetectedGpus, devices: list[PlannedDevice], warnings: list[str]
) -> str:
    if not devices:
        why = f" ({det.reason})" if det.reason else ""
        return f"GPU profile cpu: no NVIDIA GPU{why}; the engines run on the CPU"
    gpus = "; ".join(
        f"GPU {d.index} {d.name} {d.vram_gb if d.vram_gb is not None else '?'} GB cc {d.compute_cap or '?'}"
        + (f", planned {d.used_gb:g}/{d.usable_gb:g} GB usable" if d.usable_gb is not None else "")
        for d in devices
    )
    more = f"; {len(warnings)} warning(s)" if warnings else ""
    return (
        f"GPU profile {profile}: {len(devices)} NVIDIA GPU(s), driver {det.driver_version or '?'}: {gpus}; "
        f"CUDA architectures {archs or 'none'}{more}"
    )
