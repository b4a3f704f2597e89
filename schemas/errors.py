"""Turning validation failures into messages that name the registry path and say what to do."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic import ValidationError

from .providers import PROVIDER_TYPES

Loc = Sequence[str | int]


def format_path(loc: Loc) -> str:
    """('aib_model_mappings', 'fallbacks', 'x', 1) -> 'aib_model_mappings.fallbacks.x[1]'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@dataclass(frozen=True, order=True)
class Issue:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class RegistryError(ValueError):
    """The registry is invalid; `issues` lists every problem found, each with its path."""

    def __init__(self, issues: Iterable[Issue]):
        self.issues = sorted(set(issues))
        lines = "\n".join(f"  - {i}" for i in self.issues)
        count = len(self.issues)
        super().__init__(f"the registry has {count} problem{'s' if count != 1 else ''}:\n{lines}")


class CrossReferenceError(ValueError):
    """Raised inside a model validator to carry cross-reference issues out through Pydantic."""

    def __init__(self, issues: list[Issue]):
        self.issues = issues
        super().__init__("; ".join(map(str, issues)))


def _clean_loc(loc: Loc) -> list[str | int]:
    """Drop what Pydantic inserts into paths: the provider type tag and dict-key markers."""
    parts = list(loc)
    cleaned: list[str | int] = []
    for i, part in enumerate(parts):
        is_type_tag = (
            part in PROVIDER_TYPES and i == 2 and parts[0] == "aib_providers"  # discriminator tag
        )
        if is_type_tag or part == "[key]":
            continue
        cleaned.append(part)
    return cleaned


def _message(err: dict) -> str:
    kind = err["type"]
    loc = err["loc"]
    if kind == "extra_forbidden":
        return f"unknown key {loc[-1]!r}; remove it or fix its spelling (see docs/registry.md)"
    if kind == "missing":
        return "required key is missing"
    if kind == "union_tag_invalid":
        return f"unknown provider type {err['input'].get('type')!r}; use one of: " + ", ".join(PROVIDER_TYPES)
    if kind == "union_tag_not_found":
        return "provider needs `type:`; use one of: " + ", ".join(PROVIDER_TYPES)
    if kind == "string_pattern_mismatch":
        return f"{err['input']!r} is not valid here: {err['msg'].lower()}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"expected a mapping, got {err['input']!r}"
    if kind == "value_error":
        return str(err["ctx"]["error"])
    return (
        f"{err['msg']} (got {err['input']!r})"
        if "input" in err and not isinstance(err["input"], dict)
        else err["msg"]
    )


def issues_from_validation_error(exc: ValidationError) -> list[Issue]:
    issues: list[Issue] = []
    for err in exc.errors():
        error = err.get("ctx", {}).get("error")
        if isinstance(error, CrossReferenceError):
            issues.extend(error.issues)
            continue
        issues.append(Issue(format_path(_clean_loc(err["loc"])) or "registry", _message(err)))
    return issues
