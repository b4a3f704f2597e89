"""Public model names (`aib_model_mappings`): what clients ask for and where it is served."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from .base import Name, PublicModelName, Strict, pattern
from .errors import CrossReferenceError, Issue


class Deployment(Strict):
    """One place a public model is served: a provider and, where it serves several, which model."""

    provider: Name
    model: Annotated[str, Field(min_length=1, max_length=256)] | None = None
    weight: Annotated[int, Field(ge=1, le=1000)] | None = None
    rpm: Annotated[int, Field(ge=1)] | None = None
    tpm: Annotated[int, Field(ge=1)] | None = None


class PublicModel(Strict):
    """`served_by` takes a provider name, one deployment mapping, or a list of either."""

    served_by: list[Deployment] = Field(min_length=1)
    description: Annotated[str, Field(max_length=500)] | None = None

    @model_validator(mode="before")
    @classmethod
    def _normalise_served_by(cls, data: Any) -> Any:
        if isinstance(data, str):  # shorthand: `smollm2: llamacpp-native`
            data = {"served_by": data}
        if isinstance(data, dict) and "served_by" in data:
            served = data["served_by"]
            items = served if isinstance(served, list) else [served]
            data = {**data, "served_by": [{"provider": i} if isinstance(i, str) else i for i in items]}
        return data


class Routing(Strict):
    strategy: Literal["simple-shuffle", "least-busy", "latency-based", "usage-based"] = "simple-shuffle"
    retries: Annotated[int, Field(ge=0, le=10)] = 1
    timeout_s: Annotated[float, Field(gt=0, le=3600)] = 120
    cooldown_s: Annotated[float, Field(ge=0, le=3600)] = 30
    allowed_fails: Annotated[int, Field(ge=0, le=1000)] = 2


WildcardPattern = pattern(r"[A-Za-z0-9._:/@-]*\*", "a name prefix ending in '*', e.g. gpt-* or claude-*")


class ModelMappings(Strict):
    models: dict[PublicModelName, PublicModel] = Field(min_length=1)
    aliases: dict[PublicModelName, PublicModelName] = {}
    fallbacks: dict[PublicModelName, list[PublicModelName]] = {}
    wildcards: dict[WildcardPattern, Name] = {}
    routing: Routing = Routing()

    @model_validator(mode="after")
    def _non_empty_chains(self) -> ModelMappings:
        empty = [
            Issue(
                f"aib_model_mappings.fallbacks.{name}",
                f"fallback chain of {name!r} is empty; list at least one model or remove it",
            )
            for name, chain in self.fallbacks.items()
            if not chain
        ]
        if empty:
            raise CrossReferenceError(empty)
        return self
