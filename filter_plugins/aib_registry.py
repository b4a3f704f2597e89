"""Ansible filters over the provider registry. Thin on purpose: schemas/ does the work.

Every filter takes the `aib_registry` dict (group_vars/all/registry.yml), validates it and
returns plain data. An invalid registry raises AnsibleFilterError("<filter>: <problems>"), each
problem naming its registry path, so a run ends with the schema's message, not a traceback.
Arguments after the registry go to the renderer as they are, e.g.
`aib_registry | aib_prometheus_config(rule_files=[...])`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

# The repository root holds the `schemas` package next to this directory.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ansible.errors import AnsibleFilterError

if TYPE_CHECKING:
    from schemas import Registry

# `schemas` (the pydantic models) is imported when a filter is first called, not when the file
# is loaded: Ansible forks a worker per task and loads every filter plugin in each worker that
# templates any filter (`default`, `bool`, ...). Imported at load, the models cost every such
# worker; py-spy put that at 11 s of a 45 s no-change run (docs/performance.md).
#
# The one exception is ansible-playbook's main process (the strategy, which forks the workers):
# there they are imported at load, once, so that every worker forked afterwards inherits them and
# a filter call in a worker imports nothing. Lazy there too, each worker that called a registry
# filter (the lazy vars of the prometheus and release plays) paid the import itself: 4-6 workers,
# ~3 s of a no-change run (docs/performance.md).
_SCHEMAS = (
    "schemas",
    "schemas.plain",
    "schemas.gpu_detect",
    *(f"schemas.render.{m}" for m in ("litellm", "observability", "prometheus", "units", "validation")),
)


def _in_controller_main_process() -> bool:
    """ansible-playbook's main process: it runs the task queue and is no forked worker."""
    import multiprocessing

    return multiprocessing.parent_process() is None and "ansible.executor.task_queue_manager" in sys.modules


def preload_schemas() -> None:
    for module in _SCHEMAS:
        import_module(module)


def _render(target: str) -> Callable[..., Any]:
    """`module.function` of schemas/render/, or this file's _normalised for ''."""
    if not target:
        return _normalised
    module, _, function = target.partition(".")
    return getattr(import_module(f"schemas.render.{module}"), function)


def _registry_filter(name: str, target: str) -> Callable[..., Any]:
    def run(registry: Any, *args: Any, **kwargs: Any) -> Any:
        from schemas import RegistryError, validate_registry
        from schemas.plain import plain

        try:
            reg = validate_registry(plain(registry))
        except RegistryError as exc:
            raise AnsibleFilterError(f"{name}: invalid registry") from exc
        try:
            return _render(target)(reg, *plain(args), **plain(kwargs))
        except (TypeError, ValueError) as exc:  # arguments the renderer refuses
            raise AnsibleFilterError(f"{name}: {exc}") from exc

    run.__name__ = name
    return run


def _normalised(reg: Registry) -> dict[str, Any]:
    """The registry with every default filled in."""
    return reg.model_dump(mode="json")


# filter name -> `module.function` in schemas/render/
FILTERS: dict[str, str] = {
    "aib_validate_registry": "",
    "aib_litellm_config": "litellm.litellm_config",
    "aib_litellm_env": "litellm.litellm_env",
    "aib_litellm_settings_env": "litellm.litellm_settings_env",
    "aib_gateway_exposed": "litellm.gateway_exposed",
    "aib_prometheus_config": "prometheus.prometheus_config",
    "aib_prometheus_scrape_configs": "prometheus.scrape_configs",
    "aib_llamacpp_servers": "units.llamacpp_servers",
    "aib_ollama_servers": "units.ollama_servers",
    "aib_vllm_servers": "units.vllm_servers",
    "aib_observability": "observability.observability",
}


if _in_controller_main_process():
    preload_schemas()


class FilterModule:
    """Registry filters: validation and rendering."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {name: _registry_filter(name, target) for name, target in FILTERS.items()}
