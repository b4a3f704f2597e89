#!/usr/bin/python
"""Ensure a list of directories (and their missing parents) with one owner, group and mode."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: aib_dirs
short_description: Ensure several directories in one module call
description:
  - Creates each missing directory (missing parents too) and sets owner, group and mode on every
    listed directory and on every parent it created, like M(ansible.builtin.file) with
    C(state=directory), but for a whole list in one call instead of one call per loop item.
  - Supports check mode and diff mode.
options:
  paths:
    description: Absolute paths of the directories.
    type: list
    elements: path
    required: true
extends_documentation_fragment:
  - ansible.builtin.files
author: AI Unified Backend
"""

EXAMPLES = r"""
- name: Create the service directories
  aib_dirs:
    paths: [/var/lib/aib/etc, /var/lib/aib/data]
    owner: aib
    group: aib
    mode: "0750"
"""

RETURN = r"""
created:
  description: Directories that did not exist (parents included), in creation order.
  type: list
  elements: str
  returned: always
"""

import os  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402


def missing_chain(path: str) -> list[str]:
    """The missing directories from the topmost missing parent down to `path`."""
    chain = []
    while path and not os.path.lexists(path):
        chain.append(path)
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    return list(reversed(chain))


def main() -> None:
    module = AnsibleModule(
        argument_spec={"paths": {"type": "list", "elements": "path", "required": True}},
        add_file_common_args=True,
        supports_check_mode=True,
    )
    changed = False
    created: list[str] = []
    diffs = []
    for path in module.params["paths"]:
        if not os.path.isabs(path):
            module.fail_json(msg=f"aib_dirs: {path!r} is not an absolute path; give each entry as /...")
        if os.path.lexists(path) and not os.path.isdir(path):
            module.fail_json(
                msg=f"aib_dirs: {path} exists and is not a directory; remove it or choose another path"
            )
        new = [p for p in missing_chain(path) if p not in created]
        for directory in new:
            created.append(directory)
            changed = True
            diffs.append({"before": {"path": directory, "state": "absent"},
                          "after": {"path": directory, "state": "directory"}})  # fmt: skip
            if not module.check_mode:
                try:
                    os.mkdir(directory)
                except OSError as exc:
                    module.fail_json(msg=f"aib_dirs: cannot create {directory}: {exc}")
        for directory in [*new[:-1], path]:
            if module.check_mode and directory in created:
                continue  # does not exist yet: its attributes are set when it is created
            file_args = module.load_file_common_arguments(module.params, path=directory)
            diff = {"before": {"path": directory}, "after": {"path": directory}}
            if module.set_fs_attributes_if_different(file_args, False, diff=diff):
                changed = True
                diffs.append(diff)
    module.exit_json(changed=changed, created=created, diff=diffs)


if __name__ == "__main__":
    main()
