"""Pydantic v2 schemas of the provider registry and the renderers built on them."""

from .errors import Issue, RegistryError
from .registry import Registry, validate_registry

__all__ = ["Issue", "Registry", "RegistryError", "validate_registry"]
