"""The whole registry and its cross-reference checks.

Field types and ranges live in the per-section modules; this module checks what spans sections:
deployments name enabled providers and models they serve, aliases and fallbacks name real
models, fallback chains have no cycles, ports do not clash, the GPU shares fit the VRAM, and the
observability services have what they need (schemas/observability_checks.py).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, ValidationError, model_validator

from .base import Name, Strict, is_loopback
from .errors import CrossReferenceError, Issue, RegistryError, issues_from_validation_error
from .gateway import Gateway, Gpu, Redis
from .model_mappings import Deployment, ModelMappings
from .observability import Observability
from .observability_checks import check_observability, observability_ports
from .providers import (
    LOCAL_TYPES,
    REMOTE_TYPES,
    SINGLE_MODEL_TYPES,
    LlamaCppProvider,
    LlamaCppPythonProvider,
    ModelFile,
    OllamaProvider,
    Provider,
    VllmProvider,
    served_models,
)

PROVIDERS = "aib_providers"
MAPPINGS = "aib_model_mappings"


def _known(names: Any) -> str:
    names = sorted(names)
    return ", ".join(names) if names else "none"


class Registry(Strict):
    aib_providers: dict[Name, Provider] = Field(min_length=1)
    aib_model_files: dict[Name, ModelFile] = {}
    aib_model_mappings: ModelMappings
    aib_gateway: Gateway = Gateway()
    aib_redis: Redis = Redis()
    aib_gpu: Gpu = Gpu()
    aib_observability: Observability = Observability()

    @model_validator(mode="after")
    def _cross_references(self) -> Registry:
        issues = [
            *_check_model_files(self),
            *_check_deployments(self),
            *_check_aliases(self),
            *_check_fallbacks(self),
            *_check_wildcards(self),
            *_check_ports(self),
            *_check_gateway_exposure(self),
            *_check_vram(self),
            *_check_tensor_parallel(self),
            *check_observability(self),
        ]
        if issues:
            raise CrossReferenceError(issues)
        return self

    # -- derived views used by the renderers ------------------------------------------------------

    def enabled_providers(self) -> dict[str, Provider]:
        return {name: p for name, p in self.aib_providers.items() if p.enabled}

    def deployment_model(self, dep: Deployment, public_name: str) -> str:
        """The provider-side model id of a deployment (validated to exist)."""
        provider = self.aib_providers[dep.provider]
        served = served_models(provider)
        if dep.model is not None:
            return dep.model
        if provider.type in SINGLE_MODEL_TYPES or len(served) == 1:
            return served[0]
        return public_name


def _check_model_files(reg: Registry) -> list[Issue]:
    issues = []
    for name, p in reg.aib_providers.items():
        if (
            isinstance(p, LlamaCppProvider | LlamaCppPythonProvider)
            and p.model.file not in reg.aib_model_files
        ):
            issues.append(
                Issue(
                    f"{PROVIDERS}.{name}.model.file",
                    f"unknown model file {p.model.file!r}; add it to aib_model_files "
                    f"(known: {_known(reg.aib_model_files)})",
                )
            )
    return issues


def _check_deployments(reg: Registry) -> list[Issue]:
    issues = []
    for public, entry in reg.aib_model_mappings.models.items():
        for i, dep in enumerate(entry.served_by):
            path = f"{MAPPINGS}.models.{public}.served_by[{i}]"
            provider = reg.aib_providers.get(dep.provider)
            if provider is None:
                issues.append(
                    Issue(
                        f"{path}.provider",
                        f"unknown provider {dep.provider!r}; define it in aib_providers "
                        f"(known: {_known(reg.aib_providers)})",
                    )
                )
                continue
            if not provider.enabled:
                issues.append(
                    Issue(
                        f"{path}.provider",
                        f"provider {dep.provider!r} is disabled ({PROVIDERS}.{dep.provider}.enabled: false); "
                        "enable it or remove this deployment",
                    )
                )
            served = served_models(provider)
            if provider.type in SINGLE_MODEL_TYPES:
                if dep.model is not None and dep.model != served[0]:
                    issues.append(
                        Issue(
                            f"{path}.model",
                            f"provider {dep.provider!r} serves only {served[0]!r}; "
                            "drop `model:` or change the provider's model",
                        )
                    )
            elif provider.type in ("ollama",) or served:
                wanted = dep.model if dep.model is not None else (served[0] if len(served) == 1 else public)
                if wanted not in served:
                    where = f"{path}.model" if dep.model is not None else path
                    issues.append(
                        Issue(
                            where,
                            f"provider {dep.provider!r} does not serve {wanted!r} "
                            f"(it serves: {_known(served)}); "
                            f"add it to {PROVIDERS}.{dep.provider}.models or name one with `model:`",
                        )
                    )
            elif dep.model is None:
                issues.append(
                    Issue(
                        path,
                        f"provider {dep.provider!r} lists no models; name the model with `model:` "
                        f"or list it in {PROVIDERS}.{dep.provider}.models",
                    )
                )
    return issues


def _check_aliases(reg: Registry) -> list[Issue]:
    models = reg.aib_model_mappings.models
    aliases = reg.aib_model_mappings.aliases
    issues = []
    for alias, target in aliases.items():
        path = f"{MAPPINGS}.aliases.{alias}"
        if alias in models:
            issues.append(Issue(path, f"{alias!r} is already a public model name; pick another alias"))
        if target in aliases:
            issues.append(Issue(path, f"{target!r} is an alias; name its model {aliases[target]!r}"))
        elif target not in models:
            issues.append(
                Issue(path, f"alias points at unknown model {target!r}; use one of: {_known(models)}")
            )
    return issues


def _check_fallbacks(reg: Registry) -> list[Issue]:
    mappings = reg.aib_model_mappings
    models = mappings.models
    issues = []
    for name, chain in mappings.fallbacks.items():
        path = f"{MAPPINGS}.fallbacks.{name}"
        if name not in models:
            issues.append(Issue(path, f"fallbacks for unknown model {name!r}; use one of: {_known(models)}"))
        seen: set[str] = set()
        for i, target in enumerate(chain):
            if target not in models:
                hint = (
                    f"{target!r} is an alias; name its model {mappings.aliases[target]!r}"
                    if target in mappings.aliases
                    else f"unknown model {target!r}; fallbacks name public models (known: {_known(models)})"
                )
                issues.append(Issue(f"{path}[{i}]", hint))
            elif target == name:
                issues.append(
                    Issue(f"{path}[{i}]", f"{name!r} falls back to itself; remove it from its chain")
                )
            elif target in seen:
                issues.append(Issue(f"{path}[{i}]", f"{target!r} is listed twice; keep one"))
            seen.add(target)
    issues.extend(_fallback_cycles(mappings.fallbacks))
    return issues


def _fallback_cycles(fallbacks: dict[str, list[str]]) -> list[Issue]:
    """Report each cycle once (a -> b -> a), at the first model of the cycle in sorted order."""
    cycles: set[tuple[str, ...]] = set()

    def walk(node: str, stack: list[str]) -> None:
        for nxt in fallbacks.get(node, []):
            if nxt == node:
                continue  # reported as a self-fallback
            if nxt in stack:
                cycle = stack[stack.index(nxt) :]
                start = cycle.index(min(cycle))
                cycles.add(tuple(cycle[start:] + cycle[:start]))
            elif len(stack) < 64:
                walk(nxt, [*stack, nxt])

    for root in sorted(fallbacks):
        walk(root, [root])
    return [
        Issue(
            f"{MAPPINGS}.fallbacks.{cycle[0]}",
            "fallback cycle "
            + " -> ".join([*cycle, cycle[0]])
            + "; break it by removing one of these fallbacks",
        )
        for cycle in sorted(cycles)
    ]


def _check_wildcards(reg: Registry) -> list[Issue]:
    issues = []
    for pattern, provider_name in reg.aib_model_mappings.wildcards.items():
        path = f"{MAPPINGS}.wildcards.{pattern}"
        provider = reg.aib_providers.get(provider_name)
        if provider is None:
            issues.append(
                Issue(path, f"unknown provider {provider_name!r} (known: {_known(reg.aib_providers)})")
            )
        elif provider.type not in REMOTE_TYPES:
            issues.append(
                Issue(
                    path,
                    f"wildcards pass any matching name through to the provider, so they need a cloud or "
                    f"remote provider ({', '.join(REMOTE_TYPES)}); {provider_name!r} is {provider.type!r}",
                )
            )
        elif not provider.enabled:
            issues.append(
                Issue(path, f"provider {provider_name!r} is disabled; enable it or remove this wildcard")
            )
    return issues


# The gateway is an nginx front on aib_gateway.port and two LiteLLM instances on loopback behind
# it: the primary on the next port and, while a config change is handed over, a standby on the one
# after (roles/litellm). Both ports are the gateway's, so no other service may take them.
GATEWAY_INSTANCE_PORTS = (
    (1, "aib_gateway.port + 1 (the gateway's primary LiteLLM instance)"),
    (2, "aib_gateway.port + 2 (the gateway's standby LiteLLM instance)"),
)
MAX_PORT = 65535


def _check_ports(reg: Registry) -> list[Issue]:
    owners: dict[int, list[str]] = {}
    issues = []
    gateway_port = reg.aib_gateway.port
    owners.setdefault(gateway_port, []).append("aib_gateway.port")
    for offset, owner in GATEWAY_INSTANCE_PORTS:
        if gateway_port + offset <= MAX_PORT:
            owners.setdefault(gateway_port + offset, []).append(owner)
    if gateway_port + GATEWAY_INSTANCE_PORTS[-1][0] > MAX_PORT:
        issues.append(
            Issue(
                "aib_gateway.port",
                f"port {gateway_port}: the gateway also needs {gateway_port + 1} and {gateway_port + 2} "
                "for its LiteLLM instances; choose a port below 65534",
            )
        )
    if reg.aib_gateway.cache.enabled:
        owners.setdefault(reg.aib_redis.port, []).append("aib_redis.port")
    for name, p in reg.aib_providers.items():
        if p.type in LOCAL_TYPES and p.enabled:
            owners.setdefault(p.port, []).append(f"{PROVIDERS}.{name}.port")
    for port, path in observability_ports(reg):
        owners.setdefault(port, []).append(path)
    for port, paths in sorted(owners.items()):
        for path in paths[1:]:
            issues.append(
                Issue(
                    path,
                    f"port {port} is already taken by {paths[0]}; every service on the host needs its own",
                )
            )
    return issues


def _check_gateway_exposure(reg: Registry) -> list[Issue]:
    gw = reg.aib_gateway
    if is_loopback(gw.bind):
        return []
    issues = []
    if gw.master_key == "none":
        issues.append(
            Issue(
                "aib_gateway.master_key",
                f"the gateway binds to {gw.bind}, beyond loopback, so clients must present a key: set "
                "master_key: required (a key is generated per host, or set aib_litellm_master_key in your "
                "vault), or bind: 127.0.0.1",
            )
        )
    if not gw.cors_origins:
        issues.append(
            Issue(
                "aib_gateway.cors_origins",
                f"the gateway binds to {gw.bind}; list the browser origins allowed to call it "
                "(e.g. [https://chat.lab.example])",
            )
        )
    if gw.rate_limits.per_key_rpm == 0:
        issues.append(
            Issue(
                "aib_gateway.rate_limits.per_key_rpm",
                f"the gateway binds to {gw.bind}; set a per-key requests-per-minute limit (e.g. 600)",
            )
        )
    return issues


def _engine_share(p: Provider, device_vram: float) -> tuple[float, str]:
    """VRAM (GB) an engine takes on one of its devices, and how that figure was obtained."""
    if isinstance(p, VllmProvider):
        util = p.settings.gpu_memory_utilization
        return util * device_vram, f"gpu_memory_utilization {util} x {device_vram:g} GB"
    assert p.gpu is not None
    return p.gpu.vram_gb or 0.0, "declared gpu.vram_gb"


def _check_vram(reg: Registry) -> list[Issue]:
    devices = {d.index: d for d in reg.aib_gpu.devices}
    issues = []
    usage: dict[int, list[tuple[str, float, str]]] = {}
    for name, p in reg.aib_providers.items():
        if p.type not in LOCAL_TYPES or not p.enabled or p.gpu is None:
            continue
        path = f"{PROVIDERS}.{name}.gpu"
        if isinstance(p, VllmProvider) and p.gpu.vram_gb is not None:
            issues.append(
                Issue(
                    f"{path}.vram_gb",
                    "vLLM takes settings.gpu_memory_utilization x the device's VRAM, not a declared "
                    "share; remove gpu.vram_gb and size it with gpu_memory_utilization",
                )
            )
        if (
            isinstance(p, LlamaCppProvider | LlamaCppPythonProvider | OllamaProvider)
            and p.gpu.vram_gb is None
        ):
            issues.append(
                Issue(f"{path}.vram_gb", "declare how much VRAM (GB) this engine may take on each device")
            )
            continue
        for i, idx in enumerate(p.gpu.devices):
            if idx not in devices:
                issues.append(
                    Issue(
                        f"{path}.devices[{i}]",
                        f"GPU {idx} is not in aib_gpu.devices (known: {_known(map(str, devices))}); "
                        "describe the host's GPUs there or remove the gpu section for a CPU host",
                    )
                )
                continue
            share, how = _engine_share(p, devices[idx].vram_gb)
            usage.setdefault(idx, []).append((name, share, how))
    for idx, shares in sorted(usage.items()):
        dev = devices[idx]
        usable = dev.vram_gb - reg.aib_gpu.headroom_gb
        total = sum(s for _, s, _ in shares)
        if total > usable + 1e-9:
            parts = " + ".join(f"{n} {s:.1f} GB ({how})" for n, s, how in shares)
            issues.append(
                Issue(
                    f"aib_gpu.devices[{list(devices).index(idx)}]",
                    f"VRAM over-committed on GPU {idx}: {parts} = {total:.1f} GB > {usable:.1f} GB usable "
                    f"({dev.vram_gb:g} GB - {reg.aib_gpu.headroom_gb:g} GB headroom); lower a share "
                    "(vLLM: gpu_memory_utilization) or move an engine to another GPU",
                )
            )
    return issues


def _check_tensor_parallel(reg: Registry) -> list[Issue]:
    """vLLM shards a model over exactly tensor_parallel_size GPUs: the gpu section lists them."""
    issues = []
    for name, p in reg.aib_providers.items():
        if not isinstance(p, VllmProvider) or not p.enabled:
            continue
        tp = p.settings.tensor_parallel_size
        listed = len(p.gpu.devices) if p.gpu else 0
        if tp > 1 and tp != listed:
            issues.append(
                Issue(
                    f"{PROVIDERS}.{name}.settings.tensor_parallel_size",
                    f"tensor_parallel_size {tp} needs {tp} GPUs, but gpu.devices lists {listed}; "
                    f"list {tp} devices or set tensor_parallel_size: {max(listed, 1)}",
                )
            )
    return issues


def validate_registry(data: Any) -> Registry:
    """Validate a registry dict (as Ansible passes it); raise RegistryError listing every problem."""
    if not isinstance(data, dict):
        raise RegistryError(
            [Issue("registry", f"expected a mapping of aib_* sections, got {type(data).__name__}")]
        )
    try:
        return Registry.model_validate(data)
    except ValidationError as exc:
        # `from None`: the issues carry everything; Pydantic's dump of the input would only add noise.
        raise RegistryError(issues_from_validation_error(exc)) from None
