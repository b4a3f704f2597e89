"""Gateway settings (`aib_gateway`), the Redis cache (`aib_redis`) and GPUs of the host (`aib_gpu`)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from .base import EnvName, HttpUrl, Limits, Port, Strict, ip_address, pattern


class McpServer(Strict):
    """An MCP server the gateway exposes to its clients (LiteLLM's MCP gateway)."""

    transport: Literal["http", "sse", "stdio"] = "http"
    url: HttpUrl | None = None
    command: Annotated[str, Field(min_length=1)] | None = None
    args: list[str] = []
    env: dict[EnvName, str] = {}
    description: Annotated[str, Field(max_length=500)] | None = None

    @model_validator(mode="after")
    def _transport_fields(self) -> McpServer:
        if self.transport in ("http", "sse"):
            if not self.url or self.command:
                raise ValueError(f"transport {self.transport!r} needs `url` (and no `command`)")
        elif not self.command or self.url:
            raise ValueError("transport 'stdio' needs `command` (and no `url`)")
        return self


class Cache(Strict):
    enabled: bool = True
    ttl_s: Annotated[int, Field(ge=1, le=30 * 86400)] = 600


class RateLimits(Strict):
    max_parallel_requests: Annotated[int, Field(ge=0)] = 0
    per_key_rpm: Annotated[int, Field(ge=0)] = 0


Origin = pattern(
    r"https?://[A-Za-z0-9.-]+(:\d+)?", "an origin: scheme://host[:port], e.g. https://chat.lab.example"
)
McpName = pattern(
    r"[a-z0-9][a-z0-9_]{0,47}", "lower-case letters, digits or '_' (LiteLLM prefixes tool names with it)"
)
CudaArch = pattern(
    r"\d{2,3}[a-z]?(-real|-virtual)?", "a CUDA architecture such as 86, 89 or 90a (never 'native')"
)


class Gateway(Strict):
    bind: str = "127.0.0.1"
    port: Port = 4000
    workers: Annotated[int, Field(ge=1, le=64)] = 1
    master_key: Literal["none", "required"] = "none"
    cors_origins: list[Origin] = []
    rate_limits: RateLimits = RateLimits()
    cache: Cache = Cache()
    mcp_servers: dict[McpName, McpServer] = {}
    metrics: bool = True
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "WARNING"

    limits: Limits = Limits()

    @field_validator("bind")
    @classmethod
    def _ip_address(cls, v: str) -> str:
        return ip_address(v)


class Redis(Strict):
    port: Port = 6379
    maxmemory_mb: Annotated[int, Field(ge=16, le=1048576)] = 256
    limits: Limits = Limits()


class GpuDevice(Strict):
    index: Annotated[int, Field(ge=0, le=63)]
    vram_gb: Annotated[float, Field(gt=0, le=4096)]
    model: str | None = None


class Gpu(Strict):
    """The host's GPUs as the registry expects them (the engines preflight compares with the real ones)."""

    devices: list[GpuDevice] = []
    headroom_gb: Annotated[float, Field(ge=0, le=64)] = 1.0
    cuda_architectures: list[CudaArch] = []

    @field_validator("devices")
    @classmethod
    def _unique_indexes(cls, v: list[GpuDevice]) -> list[GpuDevice]:
        indexes = [d.index for d in v]
        if len(set(indexes)) != len(indexes):
            raise ValueError(f"GPU indexes repeat in {indexes}; list each device once")
        return v
