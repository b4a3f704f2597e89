"""`limits` (systemd MemoryMax=, CPUQuota=, TasksMax=) on local engines, the gateway, Redis and every
aib_observability service (schemas/base.py: Limits)."""

from __future__ import annotations

import pytest

from schemas import validate_registry

NO_LIMITS = {"memory_max": None, "cpu_quota": None, "tasks_max": None}
FULL = {"memory_max": "4G", "cpu_quota": "200%", "tasks_max": 512}
MEMORY_HINT = "expected bytes with an optional K, M, G or T suffix (e.g. 4G), or infinity"
CPU_HINT = "expected a share of one CPU in percent (e.g. 200% = two cores)"

# Where `limits` may go, as paths into the lab profile (which has every kind of local engine).
OWNERS = [
    ("aib_providers", "ollama"),
    ("aib_providers", "llamacpp-native"),
    ("aib_providers", "llamacpp-python"),
    ("aib_providers", "vllm"),
    ("aib_gateway",),
    ("aib_redis",),
    ("aib_observability", "prometheus"),
    ("aib_observability", "alertmanager"),
    ("aib_observability", "node_exporter"),
    ("aib_observability", "redis_exporter"),
    ("aib_observability", "gpu_exporter"),
    ("aib_observability", "grafana"),
    ("aib_observability", "loki"),
    ("aib_observability", "alloy"),
]


def _node(registry, owner):
    node = registry
    for part in owner:
        node = node.setdefault(part, {})
    return node


def _dumped(filters, registry, owner):
    node = filters["aib_validate_registry"](registry)
    for part in owner:
        node = node[part]
    return node["limits"]


@pytest.mark.parametrize("owner", OWNERS, ids=".".join)
def test_limits_are_kept_and_default_to_none(filters, lab_registry, owner):
    _node(lab_registry, owner).pop("limits", None)
    assert _dumped(filters, lab_registry, owner) == NO_LIMITS
    _node(lab_registry, owner)["limits"] = FULL
    assert _dumped(filters, lab_registry, owner) == FULL
    _node(lab_registry, owner)["limits"] = {"tasks_max": 64}
    assert _dumped(filters, lab_registry, owner) == {**NO_LIMITS, "tasks_max": 64}


@pytest.mark.parametrize("owner", OWNERS, ids=".".join)
def test_limits_errors_name_the_path(lab_registry, problems, owner):
    _node(lab_registry, owner)["limits"] = {"memory_max": "4GB", "cpu_quota": "2", "tasks_max": 0, "nice": 5}
    path = ".".join((*owner, "limits"))
    assert problems(lab_registry) == [
        (f"{path}.cpu_quota", f"'2' is not valid: {CPU_HINT}"),
        (f"{path}.memory_max", f"'4GB' is not valid: {MEMORY_HINT}"),
        (f"{path}.nice", "unknown key 'nice'; remove it or fix its spelling (see docs/registry.md)"),
        (f"{path}.tasks_max", "Input should be greater than or equal to 1 (got 0)"),
    ]


def test_remote_providers_have_no_limits(lab_registry, problems):
    lab_registry["aib_providers"]["openai"]["limits"] = FULL
    assert problems(lab_registry) == [
        (
            "aib_providers.openai.limits",
            "unknown key 'limits'; remove it or fix its spelling (see docs/registry.md)",
        )
    ]


@pytest.mark.parametrize("value", ["1024", "512K", "512M", "4G", "1T", "infinity"])
def test_memory_max_forms(default_registry, value):
    default_registry["aib_redis"]["limits"] = {"memory_max": value}
    assert validate_registry(default_registry).aib_redis.limits.memory_max == value


@pytest.mark.parametrize("value", ["4GB", "4g", "-1", "4.5G", "Infinity", "50%", ""])
def test_memory_max_refused(default_registry, problems, value):
    default_registry["aib_redis"]["limits"] = {"memory_max": value}
    assert problems(default_registry) == [
        ("aib_redis.limits.memory_max", f"{value!r} is not valid: {MEMORY_HINT}")
    ]


@pytest.mark.parametrize("value", ["1%", "50%", "200%", "1600%"])
def test_cpu_quota_forms(default_registry, value):
    default_registry["aib_gateway"]["limits"] = {"cpu_quota": value}
    assert validate_registry(default_registry).aib_gateway.limits.cpu_quota == value


@pytest.mark.parametrize("value", ["0%", "050%", "200", "1.5%", "2 cores", ""])
def test_cpu_quota_refused(default_registry, problems, value):
    default_registry["aib_gateway"]["limits"] = {"cpu_quota": value}
    assert problems(default_registry) == [
        ("aib_gateway.limits.cpu_quota", f"{value!r} is not valid: {CPU_HINT}")
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "Input should be greater than or equal to 1 (got 0)"),
        (True, "Input should be a valid integer (got True)"),  # YAML `yes` is no task count
        ("many", "Input should be a valid integer, unable to parse string as an integer (got 'many')"),
    ],
)
def test_tasks_max_refused(default_registry, problems, value, message):
    default_registry["aib_providers"]["llamacpp-native"]["limits"] = {"tasks_max": value}
    assert problems(default_registry) == [("aib_providers.llamacpp-native.limits.tasks_max", message)]
