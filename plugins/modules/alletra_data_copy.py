#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, alletra.storage contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: alletra_data_copy
short_description: Copy a volume's data on a host, at a limited rate, and verify it by checksums
version_added: 0.4.0
description:
  - Copies the data of one attached volume to another on the managed host, where the array cannot copy it (between two
    arrays, or to other storage), as LXD copies with rsync when its driver cannot.
  - A filesystem volume (O(content_type=filesystem)) is copied from the mounted source folder to the mounted destination
    folder by C(rsync -aHAX --numeric-ids --checksum --delete), so the destination ends up equal to the source, with hard
    links, ACLs, extended attributes and numeric owners. C(--checksum) compares files by content, since a destination
    that holds an older snapshot may have a file of the same size and time whose content differs.
  - A block volume (O(content_type=block)) is copied byte for byte from the source device to the start of the destination
    device, which must be at least as large, and flushed to it.
  - Both are held to O(bwlimit), LXD's C(rsync.bwlimit), and write their progress (bytes, rate) to O(progress_file), which
    M(alletra.storage.alletra_data_copy_info) reads while the copy runs (start this task with C(async) and C(poll=0)).
  - With O(verify=true) the task succeeds only when the checksums of the source and the destination are equal; for a
    filesystem a checksum over every file's path, type, permissions, owner and content (SHA-256), for a block volume the
    SHA-256 of the source's bytes on both devices.
  - The module talks to no array, so it takes no connection options and is not in the action group C(alletra); the
    playbook C(migrate.yml) of this collection attaches both volumes around it.
author:
  - alletra.storage contributors (@alletra-storage)
options:
  source:
    description:
      - The mounted source folder (O(content_type=filesystem)) or the source block device (O(content_type=block)).
      - A regular file is taken as a block device's contents too.
    type: path
    required: true
  destination:
    description:
      - The mounted destination folder, or the destination block device.
    type: path
    required: true
  content_type:
    description:
      - LXD's content type of the volume; V(filesystem) copies files with rsync, V(block) copies the device.
    type: str
    choices: [filesystem, block]
    default: filesystem
  bwlimit:
    description:
      - The most bytes per second the copy reads, in LXD's notation of C(rsync.bwlimit) (V(10MiB), V(500kB), V(1GB)) or in
        bytes; V(0) (the default) for no limit.
      - rsync takes it in KiB per second (rounded up).
    type: str
    default: "0"
  compression:
    description:
      - Pass C(--compress) to rsync, as LXD's C(rsync.compression) does (O(content_type=filesystem) only).
      - A copy between two devices of one host has no network hop of rsync's own, so it gains nothing from it there.
    type: bool
    default: true
  progress_file:
    description:
      - Where the copy writes its progress (JSON), at least every half second; its folder must exist.
    type: path
  label:
    description:
      - What the progress calls the copy, for example V(snapshot snap0).
    type: str
    default: copy
  verify:
    description:
      - Compare the checksums of the source and the destination after the copy, and fail when they differ.
    type: bool
    default: true
  force:
    description:
      - Overwrite a destination that holds data. Without it the task fails before copying anything when the destination
        folder has an entry besides C(lost+found), or when the first MiB of the destination device is not all zeros
        (a filesystem, a partition table), so a wrong path does not lose data.
      - C(migrate.yml) sets it for the steps after the first, which copy onto the destination it made.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: Checks the paths and O(bwlimit), copies nothing and reports that the copy would run.
  diff_mode:
    support: none
    description: The data is not shown.
requirements:
  - rsync on the host for O(content_type=filesystem) (the C(alletra.storage.alletra_initiator) role installs it with
    C(alletra_initiator_rsync=true)).
seealso:
  - module: alletra.storage.alletra_data_copy_info
  - module: alletra.storage.alletra_host_attach
"""

EXAMPLES = r"""
# Needs two mounted filesystems (or two folders) and, for the block copy, two block devices or files of which the second
# is not smaller; playbooks/migrate.yml of this collection attaches and mounts two volumes around these tasks.
- name: Copy a filesystem volume at 10MiB per second, in the background
  alletra.storage.alletra_data_copy:
    source: /mnt/migrate/source
    destination: /mnt/migrate/destination
    bwlimit: 10MiB
    progress_file: /var/tmp/migrate-progress.json
    label: volume u-5a2504b06a6c48498ee7ddb0b674fd14
  async: 3600
  poll: 0
  register: copy_job

- name: Show the progress after at most 5 seconds
  alletra.storage.alletra_data_copy_info:
    progress_file: /var/tmp/migrate-progress.json
    wait: 5
  register: copy_progress

- name: Print it
  ansible.builtin.debug:
    msg: "{{ copy_progress.progress.message }}"

- name: Wait for the copy and its verification
  ansible.builtin.async_status:
    jid: "{{ copy_job.ansible_job_id }}"
  register: copied
  until: copied.finished
  retries: 720
  delay: 5

- name: Copy a block volume's device without a limit
  alletra.storage.alletra_data_copy:
    source: /dev/disk/by-id/nvme-eui.00000001001e84802ac0a1b2c3d4e5f6
    destination: /dev/disk/by-id/nvme-eui.00000002002a7c1d2ac0f6e5d4c3b2a1
    content_type: block
"""

RETURN = r"""
bytes:
  description: Bytes copied (for a filesystem, the bytes rsync sent).
  returned: success
  type: int
  sample: 268435456
seconds:
  description: How long the copy took, without the verification.
  returned: success
  type: float
  sample: 26.9
rate:
  description: Bytes per second over the copy.
  returned: success
  type: int
  sample: 9986234
checksum:
  description: The checksums compared, of the source and of the destination; null without O(verify).
  returned: success
  type: dict
  sample: {source: 5d41402abc4b2a76b9719d911017c592aaf1e5d3f1d9ef1c1b4e5c1d0a4a9e12,
           destination: 5d41402abc4b2a76b9719d911017c592aaf1e5d3f1d9ef1c1b4e5c1d0a4a9e12}
files:
  description: Entries (files, folders, links) in the source tree, for O(content_type=filesystem) with O(verify).
  returned: success
  type: int
  sample: 42
verified:
  description: Whether the checksums were compared (and so found equal).
  returned: success
  type: bool
  sample: true
command:
  description: The rsync command line, for O(content_type=filesystem).
  returned: success
  type: list
  elements: str
  sample: [rsync, -aHAX, --numeric-ids, --checksum, --delete, --info=progress2, --no-inc-recursive, --compress, --bwlimit=10240,
           /mnt/migrate/source/, /mnt/migrate/destination/]
"""

import os
import stat

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.alletra.storage.plugins.module_utils import copier

RSYNC_MISSING = ("rsync is not installed on this host: install it (the alletra.storage.alletra_initiator role does with "
                 "alletra_initiator_rsync: true)")


def check_paths(params):
    """Why the paths cannot be copied, or None."""
    for option in ("source", "destination"):
        path = params[option]
        if not os.path.exists(path):
            return "%s: %s does not exist" % (option, path)
        mode = os.stat(path).st_mode
        if params["content_type"] == "filesystem" and not stat.S_ISDIR(mode):
            return "%s: %s is not a folder: give the mount point of the volume's filesystem" % (option, path)
        if params["content_type"] == "block" and not (stat.S_ISBLK(mode) or stat.S_ISREG(mode)):
            return "%s: %s is not a block device: give the volume's device (or set content_type: filesystem)" % (option, path)
    source, destination = (os.path.realpath(params[option]) for option in ("source", "destination"))
    if source == destination:
        return "destination: %s is the source itself: give another volume's" % params["destination"]
    if params["content_type"] == "filesystem" and (destination.startswith(source + os.sep) or source.startswith(destination + os.sep)):
        return "destination: %s and source %s are inside one another: give two separate mount points" % (destination, source)
    return None


def check_destination(params):
    """Why the destination must not be overwritten (it holds data and force is not set), or None."""
    if params["force"]:
        return None
    found = copier.holds_data(params["destination"], params["content_type"])
    if found is None:
        return None
    return ("destination: %s holds data (%s): the copy would make it equal to the source and lose what only the destination "
            "has%s. Give an empty volume's %s, or force: true to overwrite it"
            % (params["destination"], found, " (rsync --delete)" if params["content_type"] == "filesystem" else "",
               "mount point" if params["content_type"] == "filesystem" else "device"))


def copy_filesystem(params, rate, progress):
    command = copier.rsync_command(params["source"], params["destination"], rate, params["compression"])
    try:
        returncode, stderr = copier.run_rsync(command, progress)
    except OSError as err:
        raise copier.CopyError("%s (%s)" % (RSYNC_MISSING, err))
    if returncode != 0:
        raise copier.CopyError("rsync exited %d: %s" % (returncode, stderr))
    return {"bytes": progress.state["bytes"], "command": command}


def checksums(params):
    """{checksum: {source, destination}, files?} of what was copied."""
    if params["content_type"] == "filesystem":
        source, destination = (copier.tree_checksum(params[option]) for option in ("source", "destination"))
        return {"checksum": {"source": source["checksum"], "destination": destination["checksum"]},
                "files": source["files"]}
    size = copier.size_of(params["source"])
    return {"checksum": dict((option, copier.device_checksum(params[option], size)) for option in ("source", "destination"))}


def copy(params, rate, progress):
    """The copy and its verification; a CopyError says what failed."""
    if params["content_type"] == "filesystem":
        outcome = copy_filesystem(params, rate, progress)
    else:
        outcome = {"bytes": copier.copy_block(params["source"], params["destination"], rate, progress)}
    progress.update(outcome["bytes"], percent=100, force=True)
    outcome.update(seconds=progress.state["elapsed"], rate=progress.state["rate"], checksum=None, verified=False)
    if params["verify"]:
        outcome.update(checksums(params), verified=True)
        if outcome["checksum"]["source"] != outcome["checksum"]["destination"]:
            raise copier.CopyError("the copy of %s to %s is not verified: the checksums differ (%s, %s)"
                                   % (params["source"], params["destination"], outcome["checksum"]["source"],
                                      outcome["checksum"]["destination"]))
    return outcome


def main():
    module = AnsibleModule(
        argument_spec=dict(
            source=dict(type="path", required=True),
            destination=dict(type="path", required=True),
            content_type=dict(type="str", choices=["filesystem", "block"], default="filesystem"),
            bwlimit=dict(type="str", default="0"),
            compression=dict(type="bool", default=True),
            progress_file=dict(type="path"),
            label=dict(type="str", default="copy"),
            verify=dict(type="bool", default=True),
            force=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        rate = copier.parse_bwlimit(params["bwlimit"])
    except ValueError as err:
        module.fail_json(msg="bwlimit: %s" % err)
    problem = check_paths(params) or check_destination(params)
    if problem:
        module.fail_json(msg=problem)
    if module.check_mode:
        module.exit_json(changed=True, bytes=0, seconds=0.0, rate=0, checksum=None, verified=False)
    total = copier.size_of(params["source"]) if params["content_type"] == "block" else None
    progress = copier.Progress(params["progress_file"], params["label"], total=total)
    progress.update(0, force=True)
    try:
        outcome = copy(params, rate, progress)
    except (copier.CopyError, OSError) as err:
        progress.finish(failed=True, msg=str(err))
        module.fail_json(msg="%s: %s" % (params["label"], err))
    progress.finish()
    module.exit_json(changed=True, **outcome)


if __name__ == "__main__":
    main()
