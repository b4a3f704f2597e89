"""filter_plugins/aib_release.py and schemas/render/validation.py: the validation plan, the registry
digest and the restart actions of a restore."""

from __future__ import annotations

import json

import pytest
from aib_release import FilterModule
from ansible.errors import AnsibleFilterError

from schemas import RegistryError, validate_registry
from schemas.render.validation import registry_sha256, validation_plan

FILTERS = FilterModule().filters()
HOME = "/var/lib/aib"
RULES = [
    {"glob": f"{HOME}/etc/litellm/*", "unit": "aib-litellm", "action": "restarted"},
    {"glob": f"{HOME}/etc/prometheus/*", "unit": "aib-prometheus", "action": "reloaded"},
]
UNITS = f"{HOME}/.config/systemd/user"


def test_filter_names():
    assert list(FILTERS) == ["aib_validation_plan", "aib_registry_sha256", "aib_release_actions"]


def test_default_plan(default_registry):
    plan = FILTERS["aib_validation_plan"](default_registry)
    rows = [(c["name"], c["kind"], c["url"]) for c in plan["checks"]]
    assert rows == [
        ("provider/llamacpp-native", "health", "http://127.0.0.1:8080/health"),
        ("provider/llamacpp-python", "health", "http://127.0.0.1:8000/v1/models"),
        ("model/smollm2", "chat", "http://127.0.0.1:4000/v1/chat/completions"),
        ("model/smollm2-python", "chat", "http://127.0.0.1:4000/v1/chat/completions"),
        ("prometheus/targets", "prometheus_targets", "http://127.0.0.1:9090/api/v1/targets?state=active"),
    ]
    assert plan["gateway"] == "http://127.0.0.1:4000"
    assert plan["auth"] is False
    assert [c["model"] for c in plan["checks"] if c["kind"] == "chat"] == ["smollm2", "smollm2-python"]
    assert plan["checks"][-1]["wait_s"] == 3 * 15 + 15
    json.dumps(plan)  # plain data


def test_lab_plan_health_paths_per_engine_type(lab_registry):
    plan = FILTERS["aib_validation_plan"](lab_registry)
    reg = validate_registry(lab_registry)
    health = {c["name"]: c["url"] for c in plan["checks"] if c["kind"] == "health"}
    expected_suffix = {
        "ollama": "/",
        "llamacpp": "/health",
        "llamacpp_python": "/v1/models",
        "vllm": "/health",
    }
    local = {n: p for n, p in reg.enabled_providers().items() if p.type in expected_suffix}
    assert set(health) == {f"provider/{n}" for n in local}
    for name, p in local.items():
        assert health[f"provider/{name}"] == f"http://127.0.0.1:{p.port}{expected_suffix[p.type]}"
    chats = [c["model"] for c in plan["checks"] if c["kind"] == "chat"]
    assert chats == list(lab_registry["aib_model_mappings"]["models"])


def test_disabled_and_remote_providers_get_no_health_check(default_registry):
    default_registry["aib_providers"]["llamacpp-python"]["enabled"] = False
    del default_registry["aib_model_mappings"]["models"]["smollm2-python"]
    default_registry["aib_model_mappings"]["fallbacks"] = {}
    default_registry["aib_providers"]["compat"] = {
        "type": "openai_compatible", "base_url": "http://127.0.0.1:8080/v1", "models": ["smollm2-135m"],
    }  # fmt: skip
    default_registry["aib_model_mappings"]["models"]["smollm2-compat"] = {
        "served_by": {"provider": "compat", "model": "smollm2-135m"}
    }
    plan = validation_plan(validate_registry(default_registry))
    assert [c["name"] for c in plan["checks"]] == [
        "provider/llamacpp-native", "model/smollm2", "model/smollm2-compat", "prometheus/targets",
    ]  # fmt: skip


def test_master_key_required_and_wildcard_bind(default_registry):
    default_registry["aib_gateway"].update(
        bind="0.0.0.0",  # noqa: S104
        master_key="required",
        cors_origins=["https://chat.example.org"],
        rate_limits={"per_key_rpm": 60},
    )
    plan = FILTERS["aib_validation_plan"](default_registry)
    assert plan["auth"] is True
    assert plan["gateway"] == "http://127.0.0.1:4000"
    assert "key" not in json.dumps(plan).lower().replace("key_", "")


def test_no_prometheus_check_when_disabled(default_registry):
    default_registry["aib_observability"] = {
        "prometheus": {"enabled": False},
        "node_exporter": {"enabled": False},
        "redis_exporter": {"enabled": False},
    }
    plan = FILTERS["aib_validation_plan"](default_registry)
    assert all(c["kind"] != "prometheus_targets" for c in plan["checks"])


def test_registry_sha256_is_of_the_normalised_registry(default_registry):
    digest = FILTERS["aib_registry_sha256"](default_registry)
    assert digest == registry_sha256(validate_registry(default_registry))
    # A default written out explicitly normalises to the same registry.
    default_registry["aib_gateway"]["log_level"] = "WARNING"
    assert FILTERS["aib_registry_sha256"](default_registry) == digest
    default_registry["aib_gateway"]["log_level"] = "INFO"
    assert FILTERS["aib_registry_sha256"](default_registry) != digest


@pytest.mark.parametrize("name", ["aib_validation_plan", "aib_registry_sha256"])
def test_invalid_registry(default_registry, name):
    default_registry["aib_providers"]["llamacpp-native"]["port"] = 0
    with pytest.raises(AnsibleFilterError) as info:
        FILTERS[name](default_registry)
    assert str(info.value).startswith(f"{name}: invalid registry")
    assert isinstance(info.value.__cause__, RegistryError)


def test_actions_litellm_config_restarts_the_gateway_only():
    actions = FILTERS["aib_release_actions"](
        {"write": [f"{HOME}/etc/litellm/config.yaml"], "remove": []}, RULES
    )
    assert actions == {"daemon_reload": False, "stop": [], "restart": ["aib-litellm.service"], "reload": [],
                       "unmatched": []}  # fmt: skip


def test_actions_prometheus_rules_reload_prometheus():
    changes = {
        "write": [f"{HOME}/etc/prometheus/rules/aib.rules.yml"],
        "remove": [f"{HOME}/etc/prometheus/x.yml"],
    }
    actions = FILTERS["aib_release_actions"](changes, RULES)
    assert actions["reload"] == ["aib-prometheus.service"]
    assert actions["restart"] == [] and not actions["daemon_reload"]


def test_actions_unit_files():
    changes = {
        "write": [f"{UNITS}/aib-litellm.service", f"{HOME}/etc/litellm/litellm.env",
                  f"{UNITS}/aib-prometheus.service", f"{HOME}/etc/prometheus/prometheus.yml"],
        "remove": [f"{UNITS}/aib-llamacpp-extra.service"],
    }  # fmt: skip
    actions = FILTERS["aib_release_actions"](changes, RULES)
    assert actions["daemon_reload"] is True
    assert actions["stop"] == ["aib-llamacpp-extra.service"]
    assert actions["restart"] == ["aib-litellm.service", "aib-prometheus.service"]
    assert actions["reload"] == []  # restarted anyway


def test_actions_nothing_changed_and_unmatched():
    assert FILTERS["aib_release_actions"]({"write": [], "remove": []}, RULES)["restart"] == []
    actions = FILTERS["aib_release_actions"]({"write": ["/etc/other.conf"]}, RULES)
    assert actions["unmatched"] == ["/etc/other.conf"]


@pytest.mark.parametrize(
    ("changes", "rules"),
    [
        ([], RULES),
        ({"write": []}, "nope"),
        ({"write": []}, [{"glob": "*"}]),
        ({"write": []}, [{"glob": "*", "unit": "x", "action": "kill"}]),
    ],
)
def test_actions_bad_input(changes, rules):
    with pytest.raises(AnsibleFilterError, match="aib_release_actions"):
        FILTERS["aib_release_actions"](changes, rules)
