"""aib_gateway, aib_redis, aib_gpu: fields, ranges, patterns, MCP servers (schemas/gateway.py)."""

from __future__ import annotations

import pytest

from schemas import validate_registry

UNKNOWN = "unknown key {!r}; remove it or fix its spelling (see docs/registry.md)"
NO_LIMITS = {"memory_max": None, "cpu_quota": None, "tasks_max": None}


def test_defaults_fill_in_an_empty_gateway(default_registry):
    default_registry["aib_gateway"] = {}
    default_registry["aib_redis"] = {}
    reg = validate_registry(default_registry)
    assert reg.aib_gateway.model_dump() == {
        "bind": "127.0.0.1",
        "port": 4000,
        "workers": 1,
        "master_key": "none",
        "cors_origins": [],
        "rate_limits": {"max_parallel_requests": 0, "per_key_rpm": 0},
        "cache": {"enabled": True, "ttl_s": 600},
        "mcp_servers": {},
        "metrics": True,
        "log_level": "WARNING",
        "limits": NO_LIMITS,
    }
    assert reg.aib_redis.model_dump() == {"port": 6379, "maxmemory_mb": 256, "limits": NO_LIMITS}
    assert reg.aib_gpu.model_dump() == {"devices": [], "headroom_gb": 1.0, "cuda_architectures": []}


@pytest.mark.parametrize(
    ("section", "path", "key"),
    [
        ("aib_gateway", (), "listen"),
        ("aib_gateway", ("rate_limits",), "per_key_rpms"),
        ("aib_gateway", ("cache",), "ttl"),
        ("aib_redis", (), "password"),  # secrets never live in the registry
        ("aib_gpu", (), "device"),
    ],
)
def test_unknown_keys(default_registry, problems, section, path, key):
    node = default_registry[section]
    for part in path:
        node = node.setdefault(part, {})
    node[key] = "x"
    assert problems(default_registry) == [(".".join((section, *path, key)), UNKNOWN.format(key))]


def test_unknown_key_in_mcp_server_and_gpu_device(lab_registry, problems):
    lab_registry["aib_gateway"]["mcp_servers"] = {"docs": {"url": "http://127.0.0.1:9000/mcp", "headers": {}}}
    lab_registry["aib_gpu"]["devices"][0]["memory_gb"] = 80
    assert problems(lab_registry) == [
        ("aib_gateway.mcp_servers.docs.headers", UNKNOWN.format("headers")),
        ("aib_gpu.devices[0].memory_gb", UNKNOWN.format("memory_gb")),
    ]


@pytest.mark.parametrize("bind", ["localhost", "gpu-host.lab.internal", "0.0.0.0/0", ""])
def test_bind_must_be_an_ip_address(default_registry, problems, bind):
    default_registry["aib_gateway"]["bind"] = bind
    assert problems(default_registry) == [
        ("aib_gateway.bind", f"{bind!r} is not an IP address; use 127.0.0.1, 0.0.0.0 or this host's address")
    ]


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("port", 0, "Input should be greater than or equal to 1 (got 0)"),
        ("workers", 65, "Input should be less than or equal to 64 (got 65)"),
        ("master_key", "optional", "Input should be 'none' or 'required' (got 'optional')"),
        ("log_level", "debug", "Input should be 'DEBUG', 'INFO', 'WARNING' or 'ERROR' (got 'debug')"),
    ],
)
def test_gateway_fields(default_registry, problems, key, value, message):
    default_registry["aib_gateway"][key] = value
    assert problems(default_registry) == [(f"aib_gateway.{key}", message)]


def test_cache_ttl_and_redis_ranges(default_registry, problems):
    default_registry["aib_gateway"]["cache"]["ttl_s"] = 30 * 86400 + 1
    default_registry["aib_redis"]["maxmemory_mb"] = 8
    default_registry["aib_redis"]["port"] = 65536
    assert problems(default_registry) == [
        ("aib_gateway.cache.ttl_s", "Input should be less than or equal to 2592000 (got 2592001)"),
        ("aib_redis.maxmemory_mb", "Input should be greater than or equal to 16 (got 8)"),
        ("aib_redis.port", "Input should be less than or equal to 65535 (got 65536)"),
    ]


@pytest.mark.parametrize(
    "origin", ["*", "chat.lab.example", "https://chat.lab.example/", "https://chat.lab.example/app"]
)
def test_cors_origin_pattern(default_registry, problems, origin):
    default_registry["aib_gateway"]["cors_origins"] = ["https://ok.example:8443", origin]
    assert problems(default_registry) == [
        (
            "aib_gateway.cors_origins[1]",
            f"{origin!r} is not valid: expected an origin: scheme://host[:port], e.g. https://chat.lab.example",
        )
    ]


@pytest.mark.parametrize(
    ("server", "message"),
    [
        ({"transport": "http"}, "transport 'http' needs `url` (and no `command`)"),
        (
            {"url": "http://127.0.0.1:9000/mcp", "command": "npx"},
            "transport 'http' needs `url` (and no `command`)",
        ),
        ({"transport": "sse", "command": "npx"}, "transport 'sse' needs `url` (and no `command`)"),
        ({"transport": "stdio"}, "transport 'stdio' needs `command` (and no `url`)"),
        (
            {"transport": "stdio", "command": "npx", "url": "http://127.0.0.1:9000/mcp"},
            "transport 'stdio' needs `command` (and no `url`)",
        ),
    ],
)
def test_mcp_transport_fields(default_registry, problems, server, message):
    default_registry["aib_gateway"]["mcp_servers"] = {"docs": server}
    assert problems(default_registry) == [("aib_gateway.mcp_servers.docs", message)]


@pytest.mark.parametrize(
    ("server", "path", "message"),
    [
        (
            {"transport": "websocket", "url": "http://127.0.0.1:9000"},
            "transport",
            "Input should be 'http', 'sse' or 'stdio' (got 'websocket')",
        ),
        (
            {"url": "ws://127.0.0.1:9000"},
            "url",
            "'ws://127.0.0.1:9000' is not valid: expected an http:// or https:// URL",
        ),
        (
            {"transport": "stdio", "command": "npx", "env": {"github_token": "x"}},
            "env.github_token",
            "'github_token' is not valid: expected an environment variable name in capitals, e.g. "
            "OPENAI_API_KEY",
        ),
        (
            {"transport": "stdio", "command": ""},
            "command",
            "String should have at least 1 character (got '')",
        ),
    ],
)
def test_mcp_server_fields(default_registry, problems, server, path, message):
    default_registry["aib_gateway"]["mcp_servers"] = {"docs": server}
    assert problems(default_registry) == [(f"aib_gateway.mcp_servers.docs.{path}", message)]


@pytest.mark.parametrize("name", ["git-hub", "GitHub", "_fs"])
def test_mcp_server_name_pattern(default_registry, problems, name):
    default_registry["aib_gateway"]["mcp_servers"] = {name: {"url": "http://127.0.0.1:9000/mcp"}}
    assert problems(default_registry) == [
        (
            f"aib_gateway.mcp_servers.{name}",
            f"{name!r} is not valid: expected lower-case letters, digits or '_' (LiteLLM prefixes "
            "tool names with it)",
        )
    ]


@pytest.mark.parametrize("arch", ["86", "89", "90a", "120", "86-real", "90a-virtual"])
def test_cuda_architectures_accepted(lab_registry, arch):
    lab_registry["aib_gpu"]["cuda_architectures"] = [arch]
    assert validate_registry(lab_registry).aib_gpu.cuda_architectures == [arch]


@pytest.mark.parametrize("arch", ["native", "sm_90", "9", "1234", "all", "90A"])
def test_cuda_architecture_pattern(lab_registry, problems, arch):
    lab_registry["aib_gpu"]["cuda_architectures"] = ["89", arch]
    assert problems(lab_registry) == [
        (
            "aib_gpu.cuda_architectures[1]",
            f"{arch!r} is not valid: expected a CUDA architecture such as 86, 89 or 90a (never 'native')",
        )
    ]


def test_gpu_device_fields(lab_registry, problems):
    lab_registry["aib_gpu"] = {"devices": [{"index": 64, "vram_gb": 0}], "headroom_gb": 65}
    assert problems(lab_registry) == [
        ("aib_gpu.devices[0].index", "Input should be less than or equal to 63 (got 64)"),
        ("aib_gpu.devices[0].vram_gb", "Input should be greater than 0 (got 0)"),
        ("aib_gpu.headroom_gb", "Input should be less than or equal to 64 (got 65)"),
    ]


def test_gpu_device_indexes_are_unique(lab_registry, problems):
    lab_registry["aib_gpu"]["devices"].append({"index": 0, "vram_gb": 24})
    assert problems(lab_registry) == [
        ("aib_gpu.devices", "GPU indexes repeat in [0, 0]; list each device once"),
    ]
