"""Plain Python data from what Ansible hands a filter (tagged/lazy containers and strings)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def plain(value: Any) -> Any:
    """Ansible's tagged/lazy containers -> plain Python data, so Pydantic sees ordinary types."""
    if isinstance(value, Mapping):
        return {(str(k) if isinstance(k, str) else k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    return value
