"""Shared building blocks of the registry schemas: the strict base model and constrained types."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError


class Strict(BaseModel):
    """Base of every registry object: unknown keys are errors (a typo must never be ignored)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


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


def _not_bool(value: Any) -> Any:
    """YAML turns `yes`/`true` into a bool, which Python would take as the integer 1."""
    if isinstance(value, bool):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


Port = Annotated[int, BeforeValidator(_not_bool), Field(ge=1, le=65535)]


def is_loopback(address: str) -> bool:
    """True for 127.0.0.0/8, ::1 and 'localhost'."""
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False
