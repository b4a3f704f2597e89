"""schemas/render/prometheus.py through aib_prometheus_scrape_configs and aib_prometheus_config."""

from __future__ import annotations

import pytest

LITELLM_JOB = {
    "job_name": "litellm",
    "metrics_path": "/metrics/",  # with the slash: /metrics answers a 307 that Prometheus records as empty
    "static_configs": [{"targets": ["127.0.0.1:4000"], "labels": {"service": "gateway"}}],
}


def _engine(name, port):
    return {"targets": [f"127.0.0.1:{port}"], "labels": {"provider": name, "service": "engine"}}


def test_default_profile_jobs(filters, default_profile):
    # llama-cpp-python has no Prometheus endpoint: only the native llama-server is scraped
    assert filters["aib_prometheus_scrape_configs"](default_profile) == [
        LITELLM_JOB,
        {
            "job_name": "llamacpp",
            "metrics_path": "/metrics",
            "static_configs": [_engine("llamacpp-native", 8080)],
        },
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
    ]


def test_no_gateway_job_without_metrics(filters, default_registry):
    default_registry["aib_gateway"]["metrics"] = False
    assert [job["job_name"] for job in filters["aib_prometheus_scrape_configs"](default_registry)] == [
        "llamacpp"
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


def test_prometheus_config(filters, default_profile):
    assert filters["aib_prometheus_config"](default_profile) == {
        "global": {"scrape_interval": "15s", "evaluation_interval": "15s"},
        "scrape_configs": filters["aib_prometheus_scrape_configs"](default_profile),
    }
