"""aib_linear: Ansible's `linear` strategy, run through Mitogen when Mitogen is installed.

ansible.cfg (and every molecule scenario) selects this strategy. With Mitogen (hash-pinned in
requirements/dev.txt, so in .venv) each host keeps one Python interpreter for the whole run
instead of starting one, and unpacking the module, per task: a no-change run of the default
profile takes ~30 s instead of ~100 s on the 2-core test machine (docs/performance.md). Same
tasks, same order, same results as `linear`; Mitogen takes over the connections it knows by their
short names (local, ssh, docker: inventory/container and the molecule host_vars use `docker`).

Ansible's own `linear` runs instead, with a warning, when Mitogen cannot be imported, and
without one when AIB_MITOGEN=0 is set. ansible-core 2.19 prints a deprecation for every strategy
plugin outside ansible.builtin (third-party strategies "do not carry backwards compatibility
guarantees"); requirements/dev.txt pins ansible-core 2.19.x with the Mitogen release tested here.
"""

from __future__ import annotations

import os

from ansible.utils.display import Display

DOCUMENTATION = """
name: aib_linear
short_description: Ansible's linear strategy through Mitogen (when installed)
description:
  - Ansible's linear strategy with Mitogen's connection handling (one interpreter per host).
  - Falls back to ansible.builtin.linear when Mitogen is missing or AIB_MITOGEN=0.
author: AI Unified Backend
"""

MITOGEN = os.environ.get("AIB_MITOGEN", "1").strip() != "0"

if MITOGEN:
    try:
        import ansible_mitogen.loaders
        import ansible_mitogen.strategy
    except ImportError as exc:
        Display().warning(
            f"aib_linear: Mitogen is not importable ({exc}): running Ansible's own linear strategy "
            "(about 3x slower; install requirements/dev.txt, or set AIB_MITOGEN=0 to silence this)"
        )
        MITOGEN = False

if MITOGEN:
    _Base = ansible_mitogen.loaders.strategy_loader.get("linear", class_only=True)

    class StrategyModule(ansible_mitogen.strategy.StrategyMixin, _Base):  # type: ignore[misc, valid-type]
        """Mitogen's mitogen_linear, under this repository's name."""

else:
    from ansible.plugins.strategy.linear import StrategyModule  # noqa: F401
