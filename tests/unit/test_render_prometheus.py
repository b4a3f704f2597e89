"""schemas/render/prometheus.py through aib_prometheus_scrape_configs and aib_prometheus_config."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

LITELLM_JOB = {
    "job_name": "litellm",
    "metrics_path": "/metrics/",  # with the slash: /metrics answers a 307 that Prometheus records as empty
    "static_configs": [{"targets": ["127.0.0.1:4000"], "labels": {"service": "gateway"}}],
}


def _engine(name, port):
    return {"targets": [f"127.0.0.1:{port}"], "labels": {"provider": name, "service": "engine"}}


def _job(job, service, port):
    """A job of an aib_observability service (all on loopback, /metrics)."""
    return {
        "job_name": job,
        "metrics_path": "/metrics",
        "static_configs": [{"targets": [f"127.0.0.1:{port}"], "labels": {"service": service}}],
    }


# The default profile's monitoring: Prometheus itself and the node and Redis exporters.
DEFAULT_MONITORING = [
    _job("prometheus", "prometheus", 9090),
    _job("node", "node_exporter", 9100),
    _job("redis", "redis_exporter", 9121),
]
# The lab's: every service, in this order (alert rules and dashboards use these job names).
LAB_MONITORING = [
    _job("prometheus", "prometheus", 9090),
    _job("alertmanager", "alertmanager", 9093),
    _job("node", "node_exporter", 9100),
    _job("redis", "redis_exporter", 9121),
    _job("nvidia_gpu", "gpu_exporter", 9835),
    _job("loki", "loki", 3100),
    _job("alloy", "alloy", 12345),
    _job("grafana", "grafana", 3000),
]


def test_default_profile_jobs(filters, default_profile):
    # llama-cpp-python has no Prometheus endpoint: only the native llama-server is scraped
    assert filters["aib_prometheus_scrape_configs"](default_profile) == [
        LITELLM_JOB,
        {
            "job_name": "llamacpp",
            "metrics_path": "/metrics",
            "static_configs": [_engine("llamacpp-native", 8080)],
        },
        *DEFAULT_MONITORING,
    ]


def test_lab_profile_jobs(filters, lab_profile):
    # Ollama and llama-cpp-python have no Prometheus endpoint
    assert filters["aib_prometheus_scrape_configs"](lab_profile) == [
        LITELLM_JOB,
        {
            "job_name": "llamacpp",
            "metrics_path": "/metrics",
            "static_configs": [_engine("llamacpp-native", 8080)],
        },
        {"job_name": "vllm", "metrics_path": "/metrics", "static_configs": [_engine("vllm", 8001)]},
        *LAB_MONITORING,
    ]


def test_engines_of_one_kind_share_a_job_in_registry_order(filters, lab_registry):
    lab_registry["aib_providers"]["llamacpp-big"] = {
        "type": "llamacpp",
        "port": 8081,
        "model": {"name": "big", "file": "smollm2-135m-q4_1"},
    }
    lab_registry["aib_providers"]["llamacpp-a"] = {
        "type": "llamacpp",
        "port": 8082,
        "model": {"name": "a", "file": "smollm2-135m-q4_1"},
    }
    jobs = filters["aib_prometheus_scrape_configs"](lab_registry)
    assert jobs[1] == {
        "job_name": "llamacpp",
        "metrics_path": "/metrics",
        "static_configs": [
            _engine("llamacpp-native", 8080),
            _engine("llamacpp-big", 8081),
            _engine("llamacpp-a", 8082),
        ],
    }


def test_disabled_engines_are_not_scraped(filters, lab_registry):
    lab_registry["aib_providers"]["vllm"]["enabled"] = False
    lab_registry["aib_model_mappings"]["models"].pop("llama2-13b-vllm")
    lab_registry["aib_model_mappings"]["fallbacks"].pop("llama2-13b-vllm")
    assert [job["job_name"] for job in filters["aib_prometheus_scrape_configs"](lab_registry)] == [
        "litellm",
        "llamacpp",
        *(job["job_name"] for job in LAB_MONITORING),
    ]


def test_no_gateway_job_without_metrics(filters, default_registry):
    default_registry["aib_gateway"]["metrics"] = False
    assert [job["job_name"] for job in filters["aib_prometheus_scrape_configs"](default_registry)] == [
        "llamacpp",
        "prometheus",
        "node",
        "redis",
    ]


@pytest.mark.parametrize(
    ("bind", "port", "target"),
    [
        ("0.0.0.0", 4000, "127.0.0.1:4000"),  # noqa: S104
        ("192.168.10.5", 4443, "192.168.10.5:4443"),
        ("::1", 4000, "[::1]:4000"),
    ],
)
def test_gateway_target(filters, default_registry, bind, port, target):
    default_registry["aib_gateway"].update(
        bind=bind,
        port=port,
        master_key="required",
        cors_origins=["https://chat.lab.example"],
        rate_limits={"per_key_rpm": 600},
    )
    job = filters["aib_prometheus_scrape_configs"](default_registry)[0]
    assert job["static_configs"][0]["targets"] == [target]


def test_gateway_on_ipv6_any_is_scraped_via_loopback(filters, default_registry):
    default_registry["aib_gateway"].update(
        bind="::",
        master_key="required",
        cors_origins=["https://chat.lab.example"],
        rate_limits={"per_key_rpm": 600},
    )
    job = filters["aib_prometheus_scrape_configs"](default_registry)[0]
    assert job["static_configs"][0]["targets"] == ["[::1]:4000"]


def test_engine_target_forms(filters, default_registry):
    default_registry["aib_providers"]["llamacpp-native"]["host"] = "localhost"
    assert filters["aib_prometheus_scrape_configs"](default_registry)[1]["static_configs"] == [
        _engine("llamacpp-native", 8080)
    ]
    default_registry["aib_providers"]["llamacpp-native"]["host"] = "::1"
    assert filters["aib_prometheus_scrape_configs"](default_registry)[1]["static_configs"][0]["targets"] == [
        "[::1]:8080"
    ]


def test_default_prometheus_config(filters, default_profile):
    assert filters["aib_prometheus_config"](default_profile) == {
        "global": {"scrape_interval": "15s", "evaluation_interval": "15s"},
        "scrape_configs": [
            LITELLM_JOB,
            {
                "job_name": "llamacpp",
                "metrics_path": "/metrics",
                "static_configs": [_engine("llamacpp-native", 8080)],
            },
            *DEFAULT_MONITORING,
        ],
    }


def test_lab_prometheus_config_with_rule_files(filters, lab_profile):
    rules = ["/etc/aib/prometheus/rules/engines.yml", "/etc/aib/prometheus/rules/*.rules.yml"]
    assert filters["aib_prometheus_config"](lab_profile, rule_files=rules) == {
        "global": {"scrape_interval": "15s", "evaluation_interval": "15s"},
        "rule_files": rules,
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": ["127.0.0.1:9093"]}]}]},
        "scrape_configs": filters["aib_prometheus_scrape_configs"](lab_profile),
    }
    # positional works too, and an empty list is kept (Prometheus accepts it)
    assert filters["aib_prometheus_config"](lab_profile, rules)["rule_files"] == rules
    assert filters["aib_prometheus_config"](lab_profile, rule_files=[])["rule_files"] == []
    assert "rule_files" not in filters["aib_prometheus_config"](lab_profile)


def test_intervals_and_alertmanager_port_from_the_registry(filters, lab_registry):
    lab_registry["aib_observability"]["prometheus"].update(scrape_interval="30s", evaluation_interval="1m")
    lab_registry["aib_observability"]["alertmanager"]["port"] = 9193
    config = filters["aib_prometheus_config"](lab_registry)
    assert config["global"] == {"scrape_interval": "30s", "evaluation_interval": "1m"}
    assert config["alerting"] == {"alertmanagers": [{"static_configs": [{"targets": ["127.0.0.1:9193"]}]}]}
    assert _job("alertmanager", "alertmanager", 9193) in config["scrape_configs"]


def test_no_alerting_without_alertmanager(filters, lab_registry):
    lab_registry["aib_observability"]["alertmanager"]["enabled"] = False
    config = filters["aib_prometheus_config"](lab_registry)
    assert list(config) == ["global", "scrape_configs"]
    assert "alertmanager" not in [job["job_name"] for job in config["scrape_configs"]]


def test_only_enabled_services_are_scraped(filters, lab_registry):
    obs = lab_registry["aib_observability"]
    for name in ("prometheus", "alertmanager", "grafana", "node_exporter", "gpu_exporter"):
        obs[name]["enabled"] = False
    jobs = [job["job_name"] for job in filters["aib_prometheus_scrape_configs"](lab_registry)]
    assert jobs == ["litellm", "llamacpp", "vllm", "redis", "loki", "alloy"]


@pytest.mark.parametrize(
    ("bind", "target"),
    [("0.0.0.0", "127.0.0.1:3000"), ("192.168.10.5", "192.168.10.5:3000"), ("::", "[::1]:3000")],  # noqa: S104
)
def test_grafana_is_scraped_on_its_bind(filters, lab_registry, bind, target):
    lab_registry["aib_observability"]["grafana"]["bind"] = bind
    grafana = filters["aib_prometheus_scrape_configs"](lab_registry)[-1]
    assert grafana["job_name"] == "grafana"
    assert grafana["static_configs"] == [{"targets": [target], "labels": {"service": "grafana"}}]


@pytest.mark.parametrize(
    ("rule_files", "message"),
    [
        ("rules.yml", "rule_files: expected a list of paths, got 'rules.yml'"),
        ({"a": "rules.yml"}, "rule_files: expected a list of paths, got {'a': 'rules.yml'}"),
        (["a.yml", ""], "rule_files: every entry must be a non-empty path, got ''"),
        (["a.yml", 3], "rule_files: every entry must be a non-empty path, got 3"),
    ],
)
def test_rule_files_must_be_a_list_of_paths(filters, default_profile, rule_files, message):
    with pytest.raises(AnsibleFilterError) as info:
        filters["aib_prometheus_config"](default_profile, rule_files=rule_files)
    assert str(info.value) == f"aib_prometheus_config: {message}"


def test_unknown_keyword_is_refused(filters, default_profile):
    with pytest.raises(AnsibleFilterError) as info:
        filters["aib_prometheus_config"](default_profile, rules=["a.yml"])
    assert str(info.value) == (
        "aib_prometheus_config: prometheus_config() got an unexpected keyword argument 'rules'"
    )


def _keyed(registry):
    registry["aib_gateway"].update(
        bind="0.0.0.0",  # noqa: S104
        master_key="required",
        cors_origins=["https://chat.lab.example"],
        rate_limits={"per_key_rpm": 600},
    )
    return registry


def test_gateway_with_a_master_key_is_scraped_with_a_bearer_file(filters, default_registry):
    config = filters["aib_prometheus_config"](
        _keyed(default_registry), gateway_credentials_file="/var/lib/aib/etc/prometheus/litellm.token"
    )
    litellm = config["scrape_configs"][0]
    assert litellm["job_name"] == "litellm"
    assert litellm["authorization"] == {
        "type": "Bearer",
        "credentials_file": "/var/lib/aib/etc/prometheus/litellm.token",
    }
    assert all("authorization" not in job for job in config["scrape_configs"][1:])


def test_gateway_with_a_master_key_needs_the_bearer_file(filters, default_registry):
    with pytest.raises(AnsibleFilterError) as info:
        filters["aib_prometheus_config"](_keyed(default_registry))
    assert str(info.value) == (
        "aib_prometheus_config: gateway_credentials_file: aib_gateway.master_key is required, so "
        "Prometheus needs the absolute path of the file holding the key to scrape /metrics/ (got None)"
    )


def test_gateway_without_a_master_key_ignores_the_bearer_file(filters, default_profile):
    config = filters["aib_prometheus_config"](default_profile, gateway_credentials_file="/x/token")
    assert "authorization" not in config["scrape_configs"][0]
