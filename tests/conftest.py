"""Root of the test suite: puts the repository root and filter_plugins/ on sys.path before any
test module imports a filter (`from aib_registry import FilterModule`, as Ansible loads it)."""

import tests.profiles  # noqa: F401  (the import sets sys.path)
