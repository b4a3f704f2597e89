"""aib_observability: fields, defaults, the cross-section checks (schemas/observability.py,
schemas/observability_checks.py) and the `aib_observability` filter."""

from __future__ import annotations

import copy

import pytest

from schemas import validate_registry

UNKNOWN = "unknown key {!r}; remove it or fix its spelling (see docs/registry.md)"
NO_LIMITS = {"memory_max": None, "cpu_quota": None, "tasks_max": None}
SERVICES = [
    "prometheus",
    "alertmanager",
    "node_exporter",
    "redis_exporter",
    "gpu_exporter",
    "grafana",
    "loki",
    "alloy",
]
# The schema's defaults: the default profile (group_vars/all/observability.yml) spells them out.
DEFAULTS = {
    "prometheus": {
        "enabled": True,
        "port": 9090,
        "retention_time": "15d",
        "scrape_interval": "15s",
        "evaluation_interval": "15s",
        "limits": NO_LIMITS,
    },
    "alertmanager": {"enabled": False, "port": 9093, "receivers": {}, "limits": NO_LIMITS},
    "node_exporter": {"enabled": True, "port": 9100, "limits": NO_LIMITS},
    "redis_exporter": {"enabled": True, "port": 9121, "limits": NO_LIMITS},
    "gpu_exporter": {"enabled": False, "port": 9835, "limits": NO_LIMITS},
    "grafana": {"enabled": False, "port": 3000, "bind": "127.0.0.1", "limits": NO_LIMITS},
    "loki": {"enabled": False, "port": 3100, "retention_period": "15d", "limits": NO_LIMITS},
    "alloy": {"enabled": False, "port": 12345, "limits": NO_LIMITS},
}


def _taken(path, port, owner):
    return (path, f"port {port} is already taken by {owner}; every service on the host needs its own")


def _obs(registry):
    return registry["aib_observability"]


# --- defaults ------------------------------------------------------------------------------------


def test_a_registry_without_the_section_gets_the_defaults(default_registry):
    del default_registry["aib_observability"]
    reg = validate_registry(default_registry)
    assert reg.aib_observability.model_dump() == DEFAULTS


@pytest.mark.parametrize("service", SERVICES)
def test_each_subsection_is_optional(default_registry, service):
    del _obs(default_registry)[service]
    assert validate_registry(default_registry).aib_observability.model_dump()[service] == DEFAULTS[service]


def test_default_profile_spells_out_the_defaults(default_profile):
    assert validate_registry(default_profile).aib_observability.model_dump() == DEFAULTS


def test_lab_profile_enables_everything(lab_profile):
    obs = validate_registry(lab_profile).aib_observability
    assert [name for name, s in obs.services().items() if s.enabled] == SERVICES
    assert sorted(obs.alertmanager.receivers) == ["critical", "info", "warning"]


# --- fields --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ((), "tempo"),  # no such service
        (("prometheus",), "bind"),  # only Grafana has a bind: the others listen on 127.0.0.1
        (("loki",), "host"),
        (("node_exporter",), "collectors"),
        (("alertmanager", "receivers", "critical"), "url"),
        (("alloy", "limits"), "memory_high"),
    ],
)
def test_unknown_keys(default_registry, problems, path, key):
    node = _obs(default_registry)
    for part in path:
        node = node.setdefault(part, {})
    node[key] = "x"
    expected = [(".".join(("aib_observability", *path, key)), UNKNOWN.format(key))]
    if path == ("alertmanager", "receivers", "critical"):
        expected.append(
            ("aib_observability.alertmanager.receivers.critical.webhook_url", "required key is missing")
        )
    assert problems(default_registry) == expected


@pytest.mark.parametrize("key", ["retention_time", "scrape_interval", "evaluation_interval"])
@pytest.mark.parametrize("value", ["15", "15 d", "1h30m", "15D", "-1s", ""])
def test_prometheus_durations(default_registry, problems, key, value):
    _obs(default_registry)["prometheus"][key] = value
    assert problems(default_registry) == [
        (
            f"aib_observability.prometheus.{key}",
            f"{value!r} is not valid: expected a duration: a number and one unit of ms, s, m, h, d, w, y "
            "(e.g. 15s, 15d)",
        )
    ]


@pytest.mark.parametrize("value", ["500ms", "15s", "1m", "2h", "30d", "2w", "1y"])
def test_prometheus_duration_units(default_registry, value):
    _obs(default_registry)["prometheus"]["retention_time"] = value
    assert validate_registry(default_registry).aib_observability.prometheus.retention_time == value


@pytest.mark.parametrize("value", ["15d", "24h", "48h", "1440m", "2w", "1y", "86400s"])
def test_loki_retention_in_whole_days(lab_registry, value):
    _obs(lab_registry)["loki"]["retention_period"] = value
    assert validate_registry(lab_registry).aib_observability.loki.retention_period == value


@pytest.mark.parametrize("value", ["36h", "12h", "1000m", "90000s", "86400001ms"])
def test_loki_retention_not_in_whole_days(lab_registry, problems, value):
    _obs(lab_registry)["loki"]["retention_period"] = value
    assert problems(lab_registry) == [
        (
            "aib_observability.loki.retention_period",
            f"{value!r} is not a multiple of 24h: Loki's compactor applies retention per 24h index period; "
            "use whole days (e.g. 15d)",
        )
    ]


def test_ports_and_enabled_are_typed(default_registry, problems):
    obs = _obs(default_registry)
    obs["node_exporter"]["port"] = 0
    obs["redis_exporter"]["port"] = True  # YAML `yes`
    obs["prometheus"]["enabled"] = "maybe"
    assert problems(default_registry) == [
        ("aib_observability.node_exporter.port", "Input should be greater than or equal to 1 (got 0)"),
        (
            "aib_observability.prometheus.enabled",
            "Input should be a valid boolean, unable to interpret input (got 'maybe')",
        ),
        ("aib_observability.redis_exporter.port", "Input should be a valid integer (got True)"),
    ]


def test_alertmanager_receivers(lab_registry, problems):
    _obs(lab_registry)["alertmanager"]["receivers"] = {
        "critical": {"webhook_url": "ftp://pager.lab.example"},
        "page": {"webhook_url": "https://pager.lab.example"},
        "info": {},
    }
    assert problems(lab_registry) == [
        (
            "aib_observability.alertmanager.receivers.critical.webhook_url",
            "'ftp://pager.lab.example' is not valid: expected an http:// or https:// URL",
        ),
        ("aib_observability.alertmanager.receivers.info.webhook_url", "required key is missing"),
        (
            "aib_observability.alertmanager.receivers.page",
            "Input should be 'critical', 'warning' or 'info' (got 'page')",
        ),
    ]


@pytest.mark.parametrize("bind", ["localhost", "grafana.lab.internal", "0.0.0.0/0"])
def test_grafana_bind_is_an_ip_address(lab_registry, problems, bind):
    _obs(lab_registry)["grafana"]["bind"] = bind
    assert problems(lab_registry) == [
        (
            "aib_observability.grafana.bind",
            f"{bind!r} is not an IP address; use 127.0.0.1, 0.0.0.0 or this host's address",
        )
    ]


@pytest.mark.parametrize("bind", ["0.0.0.0", "192.168.10.5", "::"])  # noqa: S104
def test_grafana_may_listen_beyond_loopback(lab_registry, bind):
    _obs(lab_registry)["grafana"]["bind"] = bind
    assert validate_registry(lab_registry).aib_observability.grafana.bind == bind


# --- cross-section checks ------------------------------------------------------------------------


def test_redis_exporter_needs_the_cache(default_registry, problems):
    default_registry["aib_gateway"]["cache"]["enabled"] = False
    assert problems(default_registry) == [
        (
            "aib_observability.redis_exporter.enabled",
            "the Redis exporter needs Redis, which runs only with the gateway cache, and "
            "aib_gateway.cache.enabled is false; set enabled: false here or enable the cache",
        )
    ]
    _obs(default_registry)["redis_exporter"]["enabled"] = False
    validate_registry(default_registry)


def test_redis_exporter_default_needs_the_cache_too(default_registry, problems):
    """A registry without aib_observability gets the exporter on: turning the cache off asks for it."""
    del default_registry["aib_observability"]
    default_registry["aib_gateway"]["cache"]["enabled"] = False
    assert [path for path, _ in problems(default_registry)] == ["aib_observability.redis_exporter.enabled"]


def test_gpu_exporter_needs_gpus(default_registry, problems):
    _obs(default_registry)["gpu_exporter"]["enabled"] = True
    assert problems(default_registry) == [
        (
            "aib_observability.gpu_exporter.enabled",
            "the GPU exporter needs a GPU and aib_gpu.devices is empty; describe the host's GPUs in "
            "aib_gpu.devices or set enabled: false here",
        )
    ]
    default_registry["aib_gpu"] = {"devices": [{"index": 0, "vram_gb": 24}]}
    validate_registry(default_registry)


@pytest.mark.parametrize(
    ("service", "needed", "why"),
    [
        ("alertmanager", "prometheus", "Alertmanager receives its alerts from Prometheus"),
        ("grafana", "prometheus", "Grafana's dashboards read Prometheus"),
        ("alloy", "loki", "Alloy ships the logs to Loki"),
    ],
)
def test_services_need_their_backend(default_registry, problems, service, needed, why):
    obs = _obs(default_registry)
    obs[service]["enabled"] = True
    obs[needed]["enabled"] = False
    assert problems(default_registry) == [
        (
            f"aib_observability.{service}.enabled",
            f"{why}, which is disabled; enable aib_observability.{needed} or set enabled: false here",
        )
    ]
    obs[needed]["enabled"] = True
    validate_registry(default_registry)


def test_the_stack_without_prometheus_and_loki(lab_registry, problems):
    obs = _obs(lab_registry)
    obs["prometheus"]["enabled"] = False
    obs["loki"]["enabled"] = False
    assert [path for path, _ in problems(lab_registry)] == [
        "aib_observability.alertmanager.enabled",
        "aib_observability.alloy.enabled",
        "aib_observability.grafana.enabled",
    ]


def test_disabled_services_need_nothing(lab_registry):
    lab_registry["aib_gpu"] = {}
    for name in ("llamacpp-native", "llamacpp-python", "ollama", "vllm"):
        lab_registry["aib_providers"][name].pop("gpu")
    lab_registry["aib_gateway"]["cache"] = {"enabled": False}
    obs = _obs(lab_registry)
    for name in SERVICES:
        obs[name]["enabled"] = False
    validate_registry(lab_registry)


# --- ports ---------------------------------------------------------------------------------------


def test_port_clash_with_an_engine_and_the_gateway(default_registry, problems):
    _obs(default_registry)["node_exporter"]["port"] = 8080
    _obs(default_registry)["prometheus"]["port"] = 4000
    assert problems(default_registry) == [
        _taken("aib_observability.node_exporter.port", 8080, "aib_providers.llamacpp-native.port"),
        _taken("aib_observability.prometheus.port", 4000, "aib_gateway.port"),
    ]


def test_port_clash_with_redis(default_registry, problems):
    _obs(default_registry)["redis_exporter"]["port"] = 6379
    assert problems(default_registry) == [
        _taken("aib_observability.redis_exporter.port", 6379, "aib_redis.port"),
    ]


def test_port_clash_between_services(lab_registry, problems):
    _obs(lab_registry)["grafana"]["port"] = 9093
    _obs(lab_registry)["alloy"]["port"] = 9090
    assert problems(lab_registry) == [
        _taken("aib_observability.alloy.port", 9090, "aib_observability.prometheus.port"),
        _taken("aib_observability.grafana.port", 9093, "aib_observability.alertmanager.port"),
    ]


def test_grafana_beyond_loopback_still_takes_its_port(lab_registry, problems):
    _obs(lab_registry)["grafana"].update(bind="0.0.0.0", port=4000)  # noqa: S104
    assert problems(lab_registry) == [_taken("aib_observability.grafana.port", 4000, "aib_gateway.port")]


def test_disabled_service_holds_no_port(default_registry):
    _obs(default_registry)["grafana"]["port"] = 8080  # grafana is off in the default profile
    validate_registry(default_registry)


# --- the aib_observability filter -----------------------------------------------------------------


def _with_url(service, url):
    return {**DEFAULTS[service], "url": url}


def test_filter_default_profile(filters, default_profile):
    assert filters["aib_observability"](default_profile) == {
        "prometheus": _with_url("prometheus", "http://127.0.0.1:9090"),
        "alertmanager": _with_url("alertmanager", "http://127.0.0.1:9093"),
        "node_exporter": _with_url("node_exporter", "http://127.0.0.1:9100"),
        "redis_exporter": _with_url("redis_exporter", "http://127.0.0.1:9121"),
        "gpu_exporter": _with_url("gpu_exporter", "http://127.0.0.1:9835"),
        "grafana": _with_url("grafana", "http://127.0.0.1:3000"),
        "loki": _with_url("loki", "http://127.0.0.1:3100"),
        "alloy": _with_url("alloy", "http://127.0.0.1:12345"),
    }


def test_filter_keys_and_order(filters, lab_profile):
    out = filters["aib_observability"](lab_profile)
    assert list(out) == SERVICES
    assert {name: list(service) for name, service in out.items()} == {
        name: [*DEFAULTS[name], "url"] for name in SERVICES
    }


def test_filter_lab_profile(filters, lab_profile):
    out = filters["aib_observability"](lab_profile)
    assert out["prometheus"] == {
        "enabled": True,
        "port": 9090,
        "retention_time": "30d",
        "scrape_interval": "15s",
        "evaluation_interval": "15s",
        "limits": {"memory_max": "2G", "cpu_quota": "100%", "tasks_max": None},
        "url": "http://127.0.0.1:9090",
    }
    assert out["alertmanager"]["receivers"] == {
        "critical": {"webhook_url": "https://alerts.lab.example/hooks/critical"},
        "warning": {"webhook_url": "https://alerts.lab.example/hooks/warning"},
        "info": {"webhook_url": "https://alerts.lab.example/hooks/info"},
    }
    assert out["gpu_exporter"] == {
        **DEFAULTS["gpu_exporter"],
        "enabled": True,
        "url": "http://127.0.0.1:9835",
    }


@pytest.mark.parametrize(
    ("bind", "url"),
    [
        ("0.0.0.0", "http://127.0.0.1:3000"),  # noqa: S104
        ("192.168.10.5", "http://192.168.10.5:3000"),
        ("::1", "http://[::1]:3000"),
        ("::", "http://[::1]:3000"),
    ],
)
def test_filter_grafana_url_follows_its_bind(filters, lab_registry, bind, url):
    _obs(lab_registry)["grafana"]["bind"] = bind
    grafana = filters["aib_observability"](lab_registry)["grafana"]
    assert (grafana["bind"], grafana["url"]) == (bind, url)


def test_filter_equals_the_normalised_section(filters, lab_profile):
    section = filters["aib_validate_registry"](lab_profile)["aib_observability"]
    out = copy.deepcopy(filters["aib_observability"](lab_profile))
    for service in out.values():
        del service["url"]
    assert out == section
