"""Shared building blocks of the registry schemas: the strict base model and constrained types."""

from __future__ import annotations

import ipaddress
import re
import types
import typing
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError


def _number_kind(annotation: Any) -> str | None:
    """'int' or 'float' when the annotation takes a number but not a bool, else None."""
    seen: set[Any] = set()

    def walk(tp: Any) -> None:
        if tp in (bool, int, float, Any):
            seen.add(tp)
        origin = typing.get_origin(tp)
        if origin in (Annotated, typing.Union, types.UnionType):
            for arg in typing.get_args(tp):
                walk(arg)

    walk(annotation)
    if bool in seen or Any in seen:
        return None
    return "float" if float in seen else ("int" if int in seen else None)


class _YamlBool:
    """A YAML bool given where a number belongs; no number validator accepts it."""

    def __init__(self, value: bool) -> None:
        self.value = value

    def __repr__(self) -> str:
        return repr(self.value)


class Strict(BaseModel):
    """Base of every registry object: unknown keys are errors (a typo must never be ignored),
    and a YAML bool (`yes`, `true`) is never taken as the number 1."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _no_bool_for_numbers(cls, data: Any) -> Any:
        # A bool for a number field is swapped for a marker that the field's own validation refuses
        # ("Input should be a valid integer/number"), so the error keeps the field's registry path.
        if not isinstance(data, dict):
            return data
        swapped = {}
        for name, value in data.items():
            field = cls.model_fields.get(name) if isinstance(name, str) else None
            if isinstance(value, bool) and field is not None and _number_kind(field.annotation):
                swapped[name] = _YamlBool(value)
        return {**data, **swapped} if swapped else data


def pattern(regex: str, hint: str) -> Any:
    """A string type checked against `regex`; the error says what is expected in words (`hint`)."""
    compiled = re.compile(regex)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"{value!r} is not valid: expected {hint}")
        return value

    return Annotated[
        str, AfterValidator(check), Field(description=hint, json_schema_extra={"pattern": regex})
    ]


Name = pattern(
    r"[a-z0-9][a-z0-9_-]{0,47}", "lower-case letters, digits, '-' or '_' (at most 48), e.g. llamacpp-native"
)
PublicModelName = pattern(
    r"[A-Za-z0-9][A-Za-z0-9._:/@-]{0,127}", "letters, digits and . _ : / @ - (e.g. llama3.1:8b)"
)
ModelId = pattern(r"[A-Za-z0-9][A-Za-z0-9._:/@-]{0,255}", "a model id: letters, digits and . _ : / @ -")
Sha256 = pattern(r"[0-9a-f]{64}", "a sha256: 64 lower-case hex digits")
EnvName = pattern(r"[A-Z][A-Z0-9_]*", "an environment variable name in capitals, e.g. OPENAI_API_KEY")
HttpUrl = pattern(r"https?://[^\s/$.?#][^\s]*", "an http:// or https:// URL")
AbsPath = pattern(r"/[A-Za-z0-9._/-]*", "an absolute path of letters, digits and . _ / - (e.g. /srv/hf)")


def _not_bool(value: Any) -> Any:
    """YAML turns `yes`/`true` into a bool, which Python would take as the integer 1."""
    if isinstance(value, bool):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


Port = Annotated[int, BeforeValidator(_not_bool), Field(ge=1, le=65535)]

Duration = pattern(
    r"^[0-9]+(ms|s|m|h|d|w|y)$", "a duration: a number and one unit of ms, s, m, h, d, w, y (e.g. 15s, 15d)"
)
MemoryMax = pattern(
    r"^[0-9]+[KMGT]?$|^infinity$", "bytes with an optional K, M, G or T suffix (e.g. 4G), or infinity"
)
CpuQuota = pattern(r"^[1-9][0-9]*%$", "a share of one CPU in percent (e.g. 200% = two cores)")


class Limits(Strict):
    """systemd resource limits of a service's unit (MemoryMax=, CPUQuota=, TasksMax=); null = no limit."""

    memory_max: MemoryMax | None = None
    cpu_quota: CpuQuota | None = None
    tasks_max: Annotated[int, BeforeValidator(_not_bool), Field(ge=1)] | None = None


def ip_address(value: str) -> str:
    """A literal IPv4/IPv6 address (a bind address: no host names, no networks)."""
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise ValueError(
            f"{value!r} is not an IP address; use 127.0.0.1, 0.0.0.0 or this host's address"
        ) from None
    return value


def is_loopback(address: str) -> bool:
    """True for 127.0.0.0/8, ::1 and 'localhost'."""
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False
