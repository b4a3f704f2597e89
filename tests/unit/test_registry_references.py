"""Cross-section checks of schemas/registry.py: deployments, model files, aliases, fallbacks and
their cycles, wildcards, ports, gateway exposure, VRAM."""

from __future__ import annotations

import pytest

from schemas import validate_registry

LAB_MODELS = "llama2-13b-vllm, llama3.1:8b, qwen-coder, smollm2, smollm2-python"
LAB_PROVIDERS = "anthropic, llamacpp-native, llamacpp-python, ollama, openai, vllm"


def _serve(registry, public, served_by):
    registry["aib_model_mappings"]["models"][public] = {"served_by": served_by}


# --- deployments -------------------------------------------------------------------------------


def test_deployment_of_unknown_provider(lab_registry, problems):
    _serve(lab_registry, "mistral", "mistral-server")
    assert problems(lab_registry) == [
        (
            "aib_model_mappings.models.mistral.served_by[0].provider",
            f"unknown provider 'mistral-server'; define it in aib_providers (known: {LAB_PROVIDERS})",
        )
    ]


def test_deployment_of_disabled_provider(lab_registry, problems):
    _serve(lab_registry, "gpt-4o-mini", "openai")
    assert problems(lab_registry) == [
        (
            "aib_model_mappings.models.gpt-4o-mini.served_by[0].provider",
            "provider 'openai' is disabled (aib_providers.openai.enabled: false); enable it or "
            "remove this deployment",
        )
    ]


def test_disabling_a_provider_in_use(default_registry, problems):
    default_registry["aib_providers"]["llamacpp-python"]["enabled"] = False
    assert problems(default_registry) == [
        (
            "aib_model_mappings.models.smollm2-python.served_by[0].provider",
            "provider 'llamacpp-python' is disabled (aib_providers.llamacpp-python.enabled: false); "
            "enable it or remove this deployment",
        )
    ]


def test_ollama_does_not_serve_the_named_model(lab_registry, problems):
    _serve(lab_registry, "mistral", {"provider": "ollama", "model": "mistral:7b"})
    assert problems(lab_registry) == [
        (
            "aib_model_mappings.models.mistral.served_by[0].model",
            "provider 'ollama' does not serve 'mistral:7b' (it serves: llama3.1:8b, qwen2.5-coder:7b); "
            "add it to aib_providers.ollama.models or name one with `model:`",
        )
    ]


def test_ollama_with_several_models_needs_the_public_name_or_model(lab_registry, problems):
    _serve(lab_registry, "coder", "ollama")
    assert problems(lab_registry) == [
        (
            "aib_model_mappings.models.coder.served_by[0]",
            "provider 'ollama' does not serve 'coder' (it serves: llama3.1:8b, qwen2.5-coder:7b); "
            "add it to aib_providers.ollama.models or name one with `model:`",
        )
    ]


def test_ollama_with_one_model_serves_it_under_any_public_name(lab_registry):
    lab_registry["aib_providers"]["ollama"]["models"] = ["qwen2.5-coder:7b"]
    lab_registry["aib_model_mappings"]["models"]["llama3.1:8b"] = "llamacpp-native"
    _serve(lab_registry, "coder", "ollama")
    reg = validate_registry(lab_registry)
    dep = reg.aib_model_mappings.models["coder"].served_by[0]
    assert reg.deployment_model(dep, "coder") == "qwen2.5-coder:7b"


@pytest.mark.parametrize(
    ("provider", "model", "serves"),
    [
        ("llamacpp-native", "smollm2-135m-instruct", "smollm2-135m"),
        ("llamacpp-python", "llama3.1:8b", "smollm2-135m"),
        ("vllm", "meta-llama/Llama-2-7b-chat-hf", "meta-llama/Llama-2-13b-chat-hf"),
    ],
)
def test_single_model_provider_with_a_wrong_model(lab_registry, problems, provider, model, serves):
    _serve(lab_registry, "other", {"provider": provider, "model": model})
    assert problems(lab_registry) == [
        (
            "aib_model_mappings.models.other.served_by[0].model",
            f"provider {provider!r} serves only {serves!r}; drop `model:` or change the provider's model",
        )
    ]


def test_single_model_provider_with_its_own_model(lab_registry):
    _serve(lab_registry, "llama2", {"provider": "vllm", "model": "meta-llama/Llama-2-13b-chat-hf"})
    validate_registry(lab_registry)


def test_remote_provider_without_models_needs_model(lab_registry, problems):
    lab_registry["aib_providers"]["lab-remote"] = {
        "type": "openai_compatible",
        "base_url": "https://llm.lab.example/v1",
    }
    _serve(lab_registry, "mixtral", "lab-remote")
    assert problems(lab_registry) == [
        (
            "aib_model_mappings.models.mixtral.served_by[0]",
            "provider 'lab-remote' lists no models; name the model with `model:` "
            "or list it in aib_providers.lab-remote.models",
        )
    ]


def test_remote_provider_without_models_takes_any_model(lab_registry):
    lab_registry["aib_providers"]["lab-remote"] = {
        "type": "openai_compatible",
        "base_url": "https://llm.lab.example/v1",
    }
    _serve(lab_registry, "mixtral", {"provider": "lab-remote", "model": "mistralai/Mixtral-8x7B"})
    validate_registry(lab_registry)


def test_remote_provider_with_models_checks_them(lab_registry, problems):
    lab_registry["aib_providers"]["openai"].update(enabled=True, models=["gpt-4o-mini", "o3-mini"])
    _serve(lab_registry, "gpt-4o", "openai")
    assert problems(lab_registry) == [
        (
            "aib_model_mappings.models.gpt-4o.served_by[0]",
            "provider 'openai' does not serve 'gpt-4o' (it serves: gpt-4o-mini, o3-mini); "
            "add it to aib_providers.openai.models or name one with `model:`",
        )
    ]


def test_unknown_model_file(default_registry, problems):
    default_registry["aib_providers"]["llamacpp-native"]["model"]["file"] = "smollm2-135m-q8_0"
    assert problems(default_registry) == [
        (
            "aib_providers.llamacpp-native.model.file",
            "unknown model file 'smollm2-135m-q8_0'; add it to aib_model_files (known: smollm2-135m-q4_1)",
        )
    ]


def test_model_file_checked_without_any_files(default_registry, problems):
    default_registry["aib_model_files"] = {}
    msg = "unknown model file 'smollm2-135m-q4_1'; add it to aib_model_files (known: none)"
    assert problems(default_registry) == [
        ("aib_providers.llamacpp-native.model.file", msg),
        ("aib_providers.llamacpp-python.model.file", msg),
    ]


# --- aliases -----------------------------------------------------------------------------------


def test_alias_colliding_with_a_model_and_unknown_target(lab_registry, problems):
    lab_registry["aib_model_mappings"]["aliases"].update(
        {"smollm2": "llama3.1:8b", "mixtral": "mixtral-8x7b"}
    )
    assert problems(lab_registry) == [
        (
            "aib_model_mappings.aliases.mixtral",
            f"alias points at unknown model 'mixtral-8x7b'; use one of: {LAB_MODELS}",
        ),
        (
            "aib_model_mappings.aliases.smollm2",
            "'smollm2' is already a public model name; pick another alias",
        ),
    ]


def test_alias_of_an_alias_names_its_model(lab_registry, problems):
    lab_registry["aib_model_mappings"]["aliases"]["l3"] = "llama3"
    assert problems(lab_registry) == [
        ("aib_model_mappings.aliases.l3", "'llama3' is an alias; name its model 'llama3.1:8b'"),
    ]


# --- fallbacks ---------------------------------------------------------------------------------


def test_fallback_chain_problems(lab_registry, problems):
    lab_registry["aib_model_mappings"]["fallbacks"]["qwen-coder"] = [
        "llama3.1:8b",
        "mixtral",
        "llama3",
        "qwen-coder",
        "llama3.1:8b",
    ]
    assert problems(lab_registry) == [
        (
            "aib_model_mappings.fallbacks.qwen-coder[1]",
            f"unknown model 'mixtral'; fallbacks name public models (known: {LAB_MODELS})",
        ),
        ("aib_model_mappings.fallbacks.qwen-coder[2]", "'llama3' is an alias; name its model 'llama3.1:8b'"),
        (
            "aib_model_mappings.fallbacks.qwen-coder[3]",
            "'qwen-coder' falls back to itself; remove it from its chain",
        ),
        ("aib_model_mappings.fallbacks.qwen-coder[4]", "'llama3.1:8b' is listed twice; keep one"),
    ]


def test_fallbacks_of_an_unknown_model(lab_registry, problems):
    lab_registry["aib_model_mappings"]["fallbacks"]["llama3"] = ["smollm2"]
    assert problems(lab_registry) == [
        (
            "aib_model_mappings.fallbacks.llama3",
            f"fallbacks for unknown model 'llama3'; use one of: {LAB_MODELS}",
        )
    ]


def test_fallback_cycle_of_two_is_reported_once(default_registry, problems):
    default_registry["aib_model_mappings"]["fallbacks"]["smollm2-python"] = ["smollm2"]
    assert problems(default_registry) == [
        (
            "aib_model_mappings.fallbacks.smollm2",
            "fallback cycle smollm2 -> smollm2-python -> smollm2; break it by removing one of these "
            "fallbacks",
        )
    ]


def test_fallback_cycle_of_three_is_reported_once_from_its_smallest_name(lab_registry, problems):
    lab_registry["aib_model_mappings"]["fallbacks"] = {
        "smollm2": ["smollm2-python"],
        "smollm2-python": ["llama2-13b-vllm"],
        "llama2-13b-vllm": ["smollm2"],
    }
    assert problems(lab_registry) == [
        (
            "aib_model_mappings.fallbacks.llama2-13b-vllm",
            "fallback cycle llama2-13b-vllm -> smollm2 -> smollm2-python -> llama2-13b-vllm; "
            "break it by removing one of these fallbacks",
        )
    ]


def test_each_distinct_fallback_cycle_is_reported(lab_registry, problems):
    # qwen-coder -> smollm2 -> smollm2-python -> qwen-coder, and the longer one through llama3.1:8b
    lab_registry["aib_model_mappings"]["fallbacks"]["smollm2-python"] = ["qwen-coder"]
    assert problems(lab_registry) == [
        (
            "aib_model_mappings.fallbacks.llama3.1:8b",
            "fallback cycle llama3.1:8b -> smollm2 -> smollm2-python -> qwen-coder -> llama3.1:8b; "
            "break it by removing one of these fallbacks",
        ),
        (
            "aib_model_mappings.fallbacks.qwen-coder",
            "fallback cycle qwen-coder -> smollm2 -> smollm2-python -> qwen-coder; "
            "break it by removing one of these fallbacks",
        ),
    ]


def test_fallback_chains_that_join_are_no_cycle(lab_registry):
    lab_registry["aib_model_mappings"]["fallbacks"]["smollm2-python"] = ["llama2-13b-vllm"]
    lab_registry["aib_model_mappings"]["fallbacks"]["llama2-13b-vllm"] = ["llama3.1:8b"]
    del lab_registry["aib_model_mappings"]["fallbacks"]["llama3.1:8b"]
    validate_registry(lab_registry)


# --- wildcards ---------------------------------------------------------------------------------


def test_wildcards(lab_registry, problems):
    lab_registry["aib_model_mappings"]["wildcards"] = {
        "gpt-*": "openai",
        "llama*": "ollama",
        "mistral-*": "mistral",
        "Llama-2-*": "vllm",
    }
    assert problems(lab_registry) == [
        (
            "aib_model_mappings.wildcards.Llama-2-*",
            "wildcards pass any matching name through to the provider, so they need a cloud or "
            "remote provider "
            "(openai, anthropic, openai_compatible); 'vllm' is 'vllm'",
        ),
        (
            "aib_model_mappings.wildcards.gpt-*",
            "provider 'openai' is disabled; enable it or remove this wildcard",
        ),
        (
            "aib_model_mappings.wildcards.llama*",
            "wildcards pass any matching name through to the provider, so they need a cloud or "
            "remote provider "
            "(openai, anthropic, openai_compatible); 'ollama' is 'ollama'",
        ),
        ("aib_model_mappings.wildcards.mistral-*", f"unknown provider 'mistral' (known: {LAB_PROVIDERS})"),
    ]


def test_wildcard_to_an_enabled_cloud_provider(lab_registry):
    lab_registry["aib_providers"]["anthropic"]["enabled"] = True
    lab_registry["aib_model_mappings"]["wildcards"] = {"claude-*": "anthropic"}
    assert validate_registry(lab_registry).aib_model_mappings.wildcards == {"claude-*": "anthropic"}


# --- ports -------------------------------------------------------------------------------------


def _taken(path, port, owner):
    return (path, f"port {port} is already taken by {owner}; every service on the host needs its own")


def test_port_clash_engine_vs_engine(lab_registry, problems):
    lab_registry["aib_providers"]["vllm"]["port"] = 8000
    assert problems(lab_registry) == [
        _taken("aib_providers.vllm.port", 8000, "aib_providers.llamacpp-python.port"),
    ]


def test_port_clash_engine_vs_gateway(default_registry, problems):
    default_registry["aib_providers"]["llamacpp-native"]["port"] = 4000
    assert problems(default_registry) == [
        _taken("aib_providers.llamacpp-native.port", 4000, "aib_gateway.port")
    ]


def test_port_clash_with_redis(default_registry, problems):
    default_registry["aib_redis"]["port"] = 8080
    default_registry["aib_gateway"]["port"] = 8000
    assert problems(default_registry) == [
        _taken("aib_providers.llamacpp-native.port", 8080, "aib_redis.port"),
        _taken("aib_providers.llamacpp-python.port", 8000, "aib_gateway.port"),
    ]


def test_redis_port_is_free_without_the_cache(default_registry):
    default_registry["aib_redis"]["port"] = 8080
    default_registry["aib_gateway"]["cache"]["enabled"] = False
    default_registry["aib_observability"]["redis_exporter"]["enabled"] = False
    validate_registry(default_registry)


def test_disabled_engine_holds_no_port(lab_registry):
    lab_registry["aib_providers"]["vllm"]["port"] = 11434
    lab_registry["aib_providers"]["vllm"]["enabled"] = False
    lab_registry["aib_model_mappings"]["models"].pop("llama2-13b-vllm")
    lab_registry["aib_model_mappings"]["fallbacks"].pop("llama2-13b-vllm")
    validate_registry(lab_registry)


def test_three_services_on_one_port(default_registry, problems):
    default_registry["aib_providers"]["llamacpp-native"]["port"] = 4000
    default_registry["aib_providers"]["llamacpp-python"]["port"] = 4000
    assert problems(default_registry) == [
        _taken("aib_providers.llamacpp-native.port", 4000, "aib_gateway.port"),
        _taken("aib_providers.llamacpp-python.port", 4000, "aib_gateway.port"),
    ]


PRIMARY = "aib_gateway.port + 1 (the gateway's primary LiteLLM instance)"
STANDBY = "aib_gateway.port + 2 (the gateway's standby LiteLLM instance)"


@pytest.mark.parametrize(("port", "owner"), [(4001, PRIMARY), (4002, STANDBY)])
def test_port_clash_engine_vs_gateway_litellm_instances(default_registry, problems, port, owner):
    default_registry["aib_providers"]["llamacpp-native"]["port"] = port
    assert problems(default_registry) == [_taken("aib_providers.llamacpp-native.port", port, owner)]


def test_gateway_litellm_instances_follow_the_gateway_port(default_registry, problems):
    default_registry["aib_gateway"]["port"] = 8078  # the instances take 8079 and 8080
    default_registry["aib_redis"]["port"] = 8079
    assert problems(default_registry) == [
        _taken("aib_providers.llamacpp-native.port", 8080, STANDBY),
        _taken("aib_redis.port", 8079, PRIMARY),
    ]


def test_port_after_the_gateway_litellm_instances_is_free(default_registry):
    default_registry["aib_providers"]["llamacpp-native"]["port"] = 4003
    validate_registry(default_registry)


@pytest.mark.parametrize("port", [65534, 65535])
def test_gateway_port_leaves_no_room_for_its_litellm_instances(default_registry, problems, port):
    default_registry["aib_gateway"]["port"] = port
    assert problems(default_registry) == [
        (
            "aib_gateway.port",
            f"port {port}: the gateway also needs {port + 1} and {port + 2} for its LiteLLM instances; "
            "choose a port below 65534",
        )
    ]


def test_highest_gateway_port_with_room_for_its_litellm_instances(default_registry):
    default_registry["aib_gateway"]["port"] = 65533
    validate_registry(default_registry)


# --- gateway beyond loopback -------------------------------------------------------------------


@pytest.mark.parametrize("bind", ["0.0.0.0", "192.168.10.5", "::"])  # noqa: S104
def test_gateway_beyond_loopback_needs_key_cors_and_rpm(default_registry, problems, bind):
    default_registry["aib_gateway"]["bind"] = bind
    assert problems(default_registry) == [
        (
            "aib_gateway.cors_origins",
            f"the gateway binds to {bind}; list the browser origins allowed to call it (e.g. [https://chat.lab.example])",
        ),
        (
            "aib_gateway.master_key",
            f"the gateway binds to {bind}, beyond loopback, so clients must present a key: set "
            "master_key: required "
            "(a key is generated per host, or set aib_litellm_master_key in your vault), or bind: 127.0.0.1",
        ),
        (
            "aib_gateway.rate_limits.per_key_rpm",
            f"the gateway binds to {bind}; set a per-key requests-per-minute limit (e.g. 600)",
        ),
    ]


def test_gateway_beyond_loopback_with_key_cors_and_rpm(default_registry):
    default_registry["aib_gateway"].update(
        bind="0.0.0.0",  # noqa: S104
        master_key="required",
        cors_origins=["https://chat.lab.example"],
        rate_limits={"per_key_rpm": 600},
    )
    validate_registry(default_registry)


@pytest.mark.parametrize("bind", ["127.0.0.1", "127.0.1.1", "::1"])
def test_gateway_on_loopback_needs_nothing(default_registry, bind):
    default_registry["aib_gateway"]["bind"] = bind
    validate_registry(default_registry)


# --- GPUs and VRAM -----------------------------------------------------------------------------


def test_vram_over_commit_names_each_engine_share(lab_registry, problems):
    lab_registry["aib_providers"]["vllm"]["settings"]["gpu_memory_utilization"] = 0.8
    assert problems(lab_registry) == [
        (
            "aib_gpu.devices[0]",
            "VRAM over-committed on GPU 0: ollama 14.0 GB (declared gpu.vram_gb) + llamacpp-python 1.0 GB "
            "(declared gpu.vram_gb) + llamacpp-native 2.0 GB (declared gpu.vram_gb) + vllm 64.0 GB "
            "(gpu_memory_utilization 0.8 x 80 GB) = 81.0 GB > 78.0 GB usable (80 GB - 2 GB headroom); "
            "lower a share (vLLM: gpu_memory_utilization) or move an engine to another GPU",
        )
    ]


def test_vram_exactly_full_is_allowed(lab_registry):
    lab_registry["aib_providers"]["ollama"]["gpu"]["vram_gb"] = 31  # 31 + 1 + 2 + 44 = 78 usable
    validate_registry(lab_registry)


def test_headroom_counts(lab_registry, problems):
    lab_registry["aib_gpu"]["headroom_gb"] = 20
    assert problems(lab_registry) == [
        (
            "aib_gpu.devices[0]",
            "VRAM over-committed on GPU 0: ollama 14.0 GB (declared gpu.vram_gb) + llamacpp-python 1.0 GB "
            "(declared gpu.vram_gb) + llamacpp-native 2.0 GB (declared gpu.vram_gb) + vllm 44.0 GB "
            "(gpu_memory_utilization 0.55 x 80 GB) = 61.0 GB > 60.0 GB usable (80 GB - 20 GB headroom); "
            "lower a share (vLLM: gpu_memory_utilization) or move an engine to another GPU",
        )
    ]


def test_over_commit_on_a_second_gpu_names_that_device(lab_registry, problems):
    lab_registry["aib_gpu"]["devices"].append({"index": 1, "vram_gb": 24})
    lab_registry["aib_providers"]["vllm"]["gpu"]["devices"] = [1]
    lab_registry["aib_providers"]["ollama"]["gpu"]["devices"] = [0, 1]
    assert problems(lab_registry) == [
        (
            "aib_gpu.devices[1]",
            "VRAM over-committed on GPU 1: ollama 14.0 GB (declared gpu.vram_gb) + vllm 13.2 GB "
            "(gpu_memory_utilization 0.55 x 24 GB) = 27.2 GB > 22.0 GB usable (24 GB - 2 GB headroom); "
            "lower a share (vLLM: gpu_memory_utilization) or move an engine to another GPU",
        )
    ]


def test_disabled_engine_takes_no_vram(lab_registry):
    lab_registry["aib_providers"]["vllm"]["settings"]["gpu_memory_utilization"] = 0.95
    lab_registry["aib_providers"]["vllm"]["enabled"] = False
    lab_registry["aib_model_mappings"]["models"].pop("llama2-13b-vllm")
    lab_registry["aib_model_mappings"]["fallbacks"].pop("llama2-13b-vllm")
    validate_registry(lab_registry)


def test_gpu_device_not_declared(lab_registry, problems):
    lab_registry["aib_providers"]["llamacpp-native"]["gpu"]["devices"] = [0, 1]
    assert problems(lab_registry) == [
        (
            "aib_providers.llamacpp-native.gpu.devices[1]",
            "GPU 1 is not in aib_gpu.devices (known: 0); describe the host's GPUs there or remove "
            "the gpu section "
            "for a CPU host",
        )
    ]


def test_gpu_on_a_host_without_gpus(default_registry, problems):
    default_registry["aib_providers"]["llamacpp-native"]["gpu"] = {"devices": [0], "vram_gb": 2}
    assert problems(default_registry) == [
        (
            "aib_providers.llamacpp-native.gpu.devices[0]",
            "GPU 0 is not in aib_gpu.devices (known: none); describe the host's GPUs there or remove the gpu "
            "section for a CPU host",
        )
    ]


@pytest.mark.parametrize("provider", ["ollama", "llamacpp-python", "llamacpp-native"])
def test_engine_gpu_share_needs_vram_gb(lab_registry, problems, provider):
    del lab_registry["aib_providers"][provider]["gpu"]["vram_gb"]
    assert problems(lab_registry) == [
        (
            f"aib_providers.{provider}.gpu.vram_gb",
            "declare how much VRAM (GB) this engine may take on each device",
        )
    ]


# --- several problems --------------------------------------------------------------------------


def test_several_problems_are_reported_together_and_sorted(lab_registry, problems):
    lab_registry["aib_providers"]["vllm"]["port"] = 4000
    lab_registry["aib_providers"]["ollama"]["gpu"]["devices"] = [3]
    lab_registry["aib_model_mappings"]["aliases"]["llama3"] = "llama-3"
    lab_registry["aib_model_mappings"]["fallbacks"]["smollm2-python"] = ["smollm2"]
    lab_registry["aib_model_mappings"]["models"]["gpt"] = "openai"
    lab_registry["aib_gateway"]["bind"] = "0.0.0.0"  # noqa: S104
    lab_registry["aib_gateway"]["master_key"] = "required"
    lab_registry["aib_gateway"]["rate_limits"] = {"per_key_rpm": 100}
    found = problems(lab_registry)
    assert found == sorted(found)
    assert found == [
        (
            "aib_gateway.cors_origins",
            "the gateway binds to 0.0.0.0; list the browser origins allowed to call it (e.g. [https://chat.lab.example])",
        ),
        (
            "aib_model_mappings.aliases.llama3",
            f"alias points at unknown model 'llama-3'; use one of: gpt, {LAB_MODELS}",
        ),
        (
            "aib_model_mappings.fallbacks.smollm2",
            "fallback cycle smollm2 -> smollm2-python -> smollm2; break it by removing one of these "
            "fallbacks",
        ),
        (
            "aib_model_mappings.models.gpt.served_by[0].provider",
            "provider 'openai' is disabled (aib_providers.openai.enabled: false); enable it or "
            "remove this deployment",
        ),
        (
            "aib_providers.ollama.gpu.devices[0]",
            "GPU 3 is not in aib_gpu.devices (known: 0); describe the host's GPUs there or remove "
            "the gpu section "
            "for a CPU host",
        ),
        _taken("aib_providers.vllm.port", 4000, "aib_gateway.port"),
    ]


def test_vllm_tensor_parallel_needs_as_many_listed_gpus(lab_registry, problems):
    lab_registry["aib_providers"]["vllm"]["settings"]["tensor_parallel_size"] = 2
    assert problems(lab_registry) == [
        (
            "aib_providers.vllm.settings.tensor_parallel_size",
            "tensor_parallel_size 2 needs 2 GPUs, but gpu.devices lists 1; "
            "list 2 devices or set tensor_parallel_size: 1",
        )
    ]


def test_vllm_declared_vram_is_refused(lab_registry, problems):
    lab_registry["aib_providers"]["vllm"]["gpu"]["vram_gb"] = 10
    assert problems(lab_registry) == [
        (
            "aib_providers.vllm.gpu.vram_gb",
            "vLLM takes settings.gpu_memory_utilization x the device's VRAM, not a declared share; "
            "remove gpu.vram_gb and size it with gpu_memory_utilization",
        )
    ]


@pytest.mark.parametrize(
    ("section", "key", "message"),
    [
        ("aib_gateway", "workers", "Input should be a valid integer (got True)"),
        ("aib_redis", "maxmemory_mb", "Input should be a valid integer (got True)"),
    ],
)
def test_a_yaml_bool_is_not_a_number(default_registry, problems, section, key, message):
    default_registry[section][key] = True
    assert problems(default_registry) == [(f"{section}.{key}", message)]
