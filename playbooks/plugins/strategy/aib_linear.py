"""aib_linear: Ansible's `linear` strategy, run through Mitogen when Mitogen is installed.

ansible.cfg (and every molecule scenario) selects this strategy. With Mitogen (hash-pinned in
requirements/dev.txt, so in .venv) each host keeps one Python interpreter for the whole run
instead of starting one, and unpacking the module, per task: a no-change run of the default
profile takes ~30 s instead of ~100 s on the 2-core test machine (docs/performance.md). Same
tasks, same order, same results as `linear`; Mitogen takes over the connections it knows by their
short names (local, ssh, docker: inventory/container and the molecule host_vars use `docker`).

Ansible's own `linear` runs instead, with a warning, when Mitogen cannot be imported, and
without one when AIB_MITOGEN=0 is set; also, play by play, for a play with an `async` task:
Mitogen 0.3.54 under ansible-core 2.19 leaves an async job hanging when its module imports a
package late (mitogen-hq/mitogen#1264; seen with molecule's own create/destroy playbooks, whose
community.docker modules run async on localhost). This repository's playbooks have no async task.

ansible-core 2.19 prints a deprecation for every strategy plugin outside ansible.builtin
(third-party strategies "do not carry backwards compatibility guarantees"); requirements/dev.txt
pins ansible-core 2.19.x with the Mitogen release tested here.
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


def has_async_task(blocks: list) -> bool:
    """Whether any task of these blocks (nested blocks, rescue and always included) is async."""
    from ansible.playbook.block import Block

    def tasks(block: Block):
        for item in (*block.block, *block.rescue, *block.always):
            if isinstance(item, Block):
                yield from tasks(item)
            else:
                yield item

    return any(getattr(task, "async_val", 0) for block in blocks for task in tasks(block))


if MITOGEN:
    _Base = ansible_mitogen.loaders.strategy_loader.get("linear", class_only=True)

    class StrategyModule(ansible_mitogen.strategy.StrategyMixin, _Base):  # type: ignore[misc, valid-type]
        """Mitogen's mitogen_linear under this repository's name; Ansible's linear for async plays."""

        def run(self, iterator, play_context, result=0):
            play = iterator._play
            if has_async_task(iterator._blocks):
                Display().vv(f"aib_linear: play {play.get_name()!r} has an async task: Ansible's own linear")
                return _Base.run(self, iterator, play_context)
            Display().vv(f"aib_linear: play {play.get_name()!r} through Mitogen")
            return super().run(iterator, play_context, result)

else:
    from ansible.plugins.strategy.linear import StrategyModule  # noqa: F401
