"""aib_providers and aib_model_files: types, per-type settings, ranges, patterns (schemas/providers.py)."""

from __future__ import annotations

import pytest

from schemas import validate_registry
from schemas.providers import ModelFile

UNKNOWN = "unknown key {!r}; remove it or fix its spelling (see docs/registry.md)"
TYPES = "ollama, llamacpp, llamacpp_python, vllm, openai, anthropic, openai_compatible"
SHA = "ab" * 32


def test_profiles_are_valid(default_profile, lab_profile):
    assert validate_registry(default_profile).aib_providers.keys() == {"llamacpp-native", "llamacpp-python"}
    assert list(validate_registry(lab_profile).aib_providers) == [
        "ollama",
        "llamacpp-python",
        "llamacpp-native",
        "vllm",
        "openai",
        "anthropic",
    ]


@pytest.mark.parametrize(
    ("where", "key"),
    [
        (("llamacpp-native",), "prot"),
        (("llamacpp-native", "settings"), "ctxsize"),
        (("llamacpp-native", "model"), "alias"),
        (("ollama", "gpu"), "vram"),
        (("ollama", "settings"), "keepalive"),
    ],
)
def test_unknown_key_at_any_depth(lab_registry, problems, where, key):
    node = lab_registry["aib_providers"]
    for part in where:
        node = node[part]
    node[key] = 1
    path = ".".join(("aib_providers", *where, key))
    assert problems(lab_registry) == [(path, UNKNOWN.format(key))]


def test_unknown_key_in_model_file(default_registry, problems):
    default_registry["aib_model_files"]["smollm2-135m-q4_1"]["sha"] = SHA
    assert problems(default_registry) == [("aib_model_files.smollm2-135m-q4_1.sha", UNKNOWN.format("sha"))]


def test_unknown_provider_type(default_registry, problems):
    default_registry["aib_providers"]["llamacpp-native"]["type"] = "llama.cpp"
    assert problems(default_registry) == [
        ("aib_providers.llamacpp-native", f"unknown provider type 'llama.cpp'; use one of: {TYPES}")
    ]


def test_missing_provider_type(default_registry, problems):
    del default_registry["aib_providers"]["llamacpp-native"]["type"]
    assert problems(default_registry) == [
        ("aib_providers.llamacpp-native", f"provider needs `type:`; use one of: {TYPES}")
    ]


@pytest.mark.parametrize(
    ("provider", "key", "value"),
    [
        ("llamacpp-native", "models", ["smollm2-135m"]),  # models: belongs to ollama and the clouds
        ("ollama", "model", {"name": "llama3.1:8b"}),  # model: belongs to single-model engines
        ("vllm", "models", ["meta-llama/Llama-2-13b-chat-hf"]),
        ("openai", "port", 443),  # cloud providers have no port
        ("openai", "base_urls", "https://x.example"),
    ],
)
def test_setting_of_another_type_is_unknown(lab_registry, problems, provider, key, value):
    lab_registry["aib_providers"][provider][key] = value
    assert problems(lab_registry) == [(f"aib_providers.{provider}.{key}", UNKNOWN.format(key))]


@pytest.mark.parametrize(
    ("provider", "setting"),
    [
        ("llamacpp-python", "parallel"),  # a llama-server setting
        ("llamacpp-native", "chat_format"),  # a llama-cpp-python setting
        ("llamacpp-native", "gpu_memory_utilization"),  # a vLLM setting
        ("vllm", "ctx_size"),
        ("ollama", "threads"),
    ],
)
def test_engine_setting_of_another_type_is_unknown(lab_registry, problems, provider, setting):
    lab_registry["aib_providers"][provider]["settings"][setting] = 1
    assert problems(lab_registry) == [
        (f"aib_providers.{provider}.settings.{setting}", UNKNOWN.format(setting))
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (255, "Input should be greater than or equal to 256 (got 255)"),
        (1048577, "Input should be less than or equal to 1048576 (got 1048577)"),
        ("big", "Input should be a valid integer, unable to parse string as an integer (got 'big')"),
    ],
)
def test_ctx_size_range(default_registry, problems, value, message):
    default_registry["aib_providers"]["llamacpp-native"]["settings"]["ctx_size"] = value
    assert problems(default_registry) == [("aib_providers.llamacpp-native.settings.ctx_size", message)]


@pytest.mark.parametrize("value", [256, 1048576])
def test_ctx_size_bounds_are_inclusive(default_registry, value):
    default_registry["aib_providers"]["llamacpp-python"]["settings"]["ctx_size"] = value
    assert validate_registry(default_registry).aib_providers["llamacpp-python"].settings.ctx_size == value


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "Input should be greater than or equal to 1 (got 0)"),
        (65536, "Input should be less than or equal to 65535 (got 65536)"),
        (8080.5, "Input should be a valid integer, got a number with a fractional part (got 8080.5)"),
    ],
)
def test_port_range(default_registry, problems, value, message):
    default_registry["aib_providers"]["llamacpp-native"]["port"] = value
    assert problems(default_registry) == [("aib_providers.llamacpp-native.port", message)]


def test_port_rejects_booleans(default_registry, problems):
    default_registry["aib_providers"]["llamacpp-native"]["port"] = True
    assert problems(default_registry) == [
        ("aib_providers.llamacpp-native.port", "Input should be a valid integer (got True)")
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "Input should be greater than 0 (got 0)"),
        (0.99, "Input should be less than or equal to 0.98 (got 0.99)"),
    ],
)
def test_gpu_memory_utilization_range(lab_registry, problems, value, message):
    lab_registry["aib_providers"]["vllm"]["settings"]["gpu_memory_utilization"] = value
    assert problems(lab_registry) == [("aib_providers.vllm.settings.gpu_memory_utilization", message)]


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::", "gpu-host.lab.internal"])  # noqa: S104
def test_engine_host_must_be_loopback(default_registry, problems, host):
    default_registry["aib_providers"]["llamacpp-native"]["host"] = host
    assert problems(default_registry) == [
        (
            "aib_providers.llamacpp-native.host",
            f"engines bind to loopback only, got {host!r}; use 127.0.0.1 (only the gateway, "
            "aib_gateway.bind, may listen beyond loopback)",
        )
    ]


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "::1"])
def test_engine_host_loopback_forms(default_registry, host):
    default_registry["aib_providers"]["llamacpp-native"]["host"] = host
    assert validate_registry(default_registry).aib_providers["llamacpp-native"].host == host


@pytest.mark.parametrize("name", ["LlamaCpp", "-native", "llama cpp", "n" * 49])
def test_provider_name_pattern(default_registry, problems, name):
    providers = default_registry["aib_providers"]
    providers[name] = providers.pop("llamacpp-python")
    assert problems(default_registry)[0] == (
        f"aib_providers.{name}",
        f"{name!r} is not valid: expected lower-case letters, digits, '-' or '_' (at most 48), e.g. "
        "llamacpp-native",
    )


@pytest.mark.parametrize(
    ("key", "value"), [("sha256", SHA.upper()), ("member_sha256", "ab" * 31), ("sha256", "")]
)
def test_sha256_pattern(default_registry, problems, key, value):
    default_registry["aib_model_files"]["smollm2-135m-q4_1"][key] = value
    assert problems(default_registry) == [
        (
            f"aib_model_files.smollm2-135m-q4_1.{key}",
            f"{value!r} is not valid: expected a sha256: 64 lower-case hex digits",
        )
    ]


@pytest.mark.parametrize(
    "url", ["ftp://mirror.example/model.gguf", "files.pythonhosted.org/x.whl", "https:// x"]
)
def test_model_file_url_pattern(default_registry, problems, url):
    default_registry["aib_model_files"]["smollm2-135m-q4_1"]["url"] = url
    assert problems(default_registry) == [
        (
            "aib_model_files.smollm2-135m-q4_1.url",
            f"{url!r} is not valid: expected an http:// or https:// URL",
        )
    ]


def test_member_needs_member_sha256(default_registry, problems):
    del default_registry["aib_model_files"]["smollm2-135m-q4_1"]["member_sha256"]
    assert problems(default_registry) == [
        (
            "aib_model_files.smollm2-135m-q4_1",
            "`member` needs `member_sha256` (the sha256 of the extracted file)",
        )
    ]


def test_member_sha256_needs_member(default_registry, problems):
    del default_registry["aib_model_files"]["smollm2-135m-q4_1"]["member"]
    assert problems(default_registry) == [
        (
            "aib_model_files.smollm2-135m-q4_1",
            "`member_sha256` without `member`; remove it or name the file inside the archive",
        )
    ]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"filename": "model.gguf", "member": "a/b.gguf", "member_sha256": SHA}, "model.gguf"),
        ({"member": "dir/inner.gguf", "member_sha256": SHA}, "inner.gguf"),
        ({}, "m.Q4.gguf"),
    ],
)
def test_model_file_host_filename(fields, expected):
    model_file = ModelFile(
        url="https://hf.example/r/resolve/main/m.Q4.gguf?download=true", sha256=SHA, **fields
    )
    assert model_file.host_filename == expected


@pytest.mark.parametrize(
    ("provider", "key", "value", "hint"),
    [
        (
            "openai",
            "api_key_env",
            "openai_api_key",
            "an environment variable name in capitals, e.g. OPENAI_API_KEY",
        ),
        ("anthropic", "api_key_env", "1KEY", "an environment variable name in capitals, e.g. OPENAI_API_KEY"),
        ("openai", "base_url", "api.openai.com/v1", "an http:// or https:// URL"),
    ],
)
def test_cloud_provider_patterns(lab_registry, problems, provider, key, value, hint):
    lab_registry["aib_providers"][provider][key] = value
    assert problems(lab_registry) == [
        (f"aib_providers.{provider}.{key}", f"{value!r} is not valid: expected {hint}")
    ]


@pytest.mark.parametrize(
    ("provider", "path", "value", "hint"),
    [
        ("ollama", ("models", 1), "Qwen2.5-Coder:7b", "an Ollama model tag, e.g. llama3.1:8b"),
        (
            "vllm",
            ("model", "name"),
            "Llama-2-13b-chat-hf",
            "a Hugging Face repository id, e.g. meta-llama/Llama-2-13b-chat-hf",
        ),
        (
            "ollama",
            ("settings", "keep_alive"),
            "5 minutes",
            "a duration such as 30s, 5m, 2h, 0 (unload at once) or -1 (never)",
        ),
        (
            "llamacpp-python",
            ("settings", "chat_format"),
            "ChatML",
            "a llama-cpp-python chat format name, e.g. chatml",
        ),
    ],
)
def test_engine_model_patterns(lab_registry, problems, provider, path, value, hint):
    node = lab_registry["aib_providers"][provider]
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    location = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
    assert problems(lab_registry) == [
        (f"aib_providers.{provider}{location}", f"{value!r} is not valid: expected {hint}")
    ]


def test_openai_compatible_needs_base_url(lab_registry, problems):
    lab_registry["aib_providers"]["lab-remote"] = {"type": "openai_compatible", "models": ["mixtral"]}
    assert problems(lab_registry) == [("aib_providers.lab-remote.base_url", "required key is missing")]


def test_single_model_engine_needs_model(default_registry, problems):
    del default_registry["aib_providers"]["llamacpp-native"]["model"]
    assert problems(default_registry) == [("aib_providers.llamacpp-native.model", "required key is missing")]


@pytest.mark.parametrize(
    ("gpu", "path", "message"),
    [
        (
            {"devices": [0, 0], "vram_gb": 14},
            "devices",
            "GPU indexes repeat in [0, 0]; list each device once",
        ),
        (
            {"devices": [], "vram_gb": 14},
            "devices",
            "List should have at least 1 item after validation, not 0 (got [])",
        ),
        ({"devices": [64], "vram_gb": 14}, "devices[0]", "Input should be less than or equal to 63 (got 64)"),
        ({"devices": [0], "vram_gb": 0}, "vram_gb", "Input should be greater than 0 (got 0)"),
    ],
)
def test_gpu_share(lab_registry, problems, gpu, path, message):
    lab_registry["aib_providers"]["ollama"]["gpu"] = gpu
    assert problems(lab_registry) == [(f"aib_providers.ollama.gpu.{path}", message)]
