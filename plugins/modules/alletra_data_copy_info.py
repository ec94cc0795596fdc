#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, alletra.storage contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: alletra_data_copy_info
short_description: Read the progress of a running data copy on a host
version_added: 0.4.0
description:
  - Reads the progress that M(alletra.storage.alletra_data_copy) writes while it copies (started with C(async) and
    C(poll=0)), that is the bytes copied, the total where it is known, the rate and the time so far.
  - With O(wait), waits up to that many seconds first, and returns at once when the copy has finished (or failed, or
    stopped writing its progress for a minute, as a copy that died does).
  - A loop of this task and an C(ansible.builtin.debug) of RV(progress.message) shows the progress at the default
    verbosity, as the playbook C(migrate.yml) of this collection does.
  - The module talks to no array, so it takes no connection options and is not in the action group C(alletra).
author:
  - alletra.storage contributors (@alletra-storage)
options:
  progress_file:
    description:
      - The O(alletra.storage.alletra_data_copy#module:progress_file) of the copy.
    type: path
    required: true
  wait:
    description:
      - Seconds to wait before reading, unless the copy finishes first.
    type: float
    default: 0
extends_documentation_fragment:
  - alletra.storage.attributes.info_module
seealso:
  - module: alletra.storage.alletra_data_copy
"""

EXAMPLES = r"""
# Needs a copy started by alletra.storage.alletra_data_copy with progress_file /var/tmp/migrate-progress.json (see its
# examples).
- name: Read the copy's progress after at most 5 seconds
  alletra.storage.alletra_data_copy_info:
    progress_file: /var/tmp/migrate-progress.json
    wait: 5
  register: copy_progress

- name: Show it
  ansible.builtin.debug:
    msg: "{{ copy_progress.progress.message }}"
"""

RETURN = r"""
progress:
  description: The copy's progress; null before the copy has written any.
  returned: always
  type: dict
  contains:
    step:
      description: The copy's O(alletra.storage.alletra_data_copy#module:label).
      type: str
      sample: snapshot snap0
    bytes:
      description: Bytes copied so far.
      type: int
      sample: 13107200
    total:
      description: Bytes to copy (a block copy), or null where it is not known in advance.
      type: int
      sample: 268435456
    percent:
      description: Percent done (rsync's own figure for a filesystem), or null.
      type: int
      sample: 4
    rate:
      description: Bytes per second.
      type: int
      sample: 1048576
    elapsed:
      description: Seconds since the copy started.
      type: float
      sample: 12.5
    finished:
      description: Whether the copy has ended (with its verification still to come from the copy task itself).
      type: bool
      sample: false
    failed:
      description: Whether the copy failed; RV(progress.msg) says why.
      type: bool
      sample: false
    msg:
      description: Why the copy failed, or empty.
      type: str
      sample: ""
    stale:
      description: Whether the copy has not written its progress for a minute without finishing (it died).
      type: bool
      sample: false
    message:
      description: All of it in one line.
      type: str
      sample: "snapshot snap0: 12.5MiB of 256.0MiB (4%) at 1.0MiB/s, 12.5 s"
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.alletra.storage.plugins.module_utils import copier


def main():
    module = AnsibleModule(
        argument_spec=dict(progress_file=dict(type="path", required=True), wait=dict(type="float", default=0)),
        supports_check_mode=True,
    )
    if module.params["wait"] < 0:
        module.fail_json(msg="wait: %s is below 0: give the seconds to wait, or 0" % module.params["wait"])
    module.exit_json(changed=False, progress=copier.wait_progress(module.params["progress_file"], module.params["wait"]))


if __name__ == "__main__":
    main()
