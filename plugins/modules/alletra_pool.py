#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, alletra.storage contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: alletra_pool
short_description: Manage a storage pool (an HPE Alletra volume set)
version_added: 0.1.0
description:
  - A pool is a volume set on the array, as in LXD's C(alletra) driver. Its volumes are thin volumes created in the pool's CPG.
  - The pool records its CPG and naming scheme in the volume set's comment, behind the marker C(alletra.storage:v1),
    so later tasks need only the pool name.
  - A volume set of the same name that this collection did not create is never adopted or deleted.
author:
  - alletra.storage contributors (@alletra-storage)
extends_documentation_fragment:
  - alletra.storage.alletra
  - alletra.storage.attributes
options:
  name:
    description:
      - Name of the pool, which is the name of its volume set.
      - Letters, digits, C(.), C(_) and C(-), at most 31 characters, not starting with C(-).
    type: str
    required: true
  cpg:
    description:
      - CPG (common provisioning group) the pool's volumes are created in. It must exist on the array.
      - Required to create a pool. A pool that has no volumes can be moved to another CPG; one with volumes cannot.
    type: str
  naming:
    description:
      - How the pool names its volumes.
      - V(lxd) uses LXD's names (34 to 37 characters), which need an array that accepts names longer than 31 characters;
        on an older array (OS before 10.x) it is refused before anything is created.
      - V(compact) writes the UUID in base32, so names fit in 31 characters.
      - V(auto) picks V(lxd) on arrays whose OS is 10.x or newer (Alletra MP) and V(compact) on older ones.
      - Only used when the pool is created; the scheme of an existing pool cannot change.
    type: str
    choices: [auto, lxd, compact]
    default: auto
  state:
    description:
      - V(present) creates the pool if needed; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  force:
    description:
      - With O(state=absent), also delete the pool's volumes, their snapshots and their exports to hosts.
      - Without it, a pool that still has volumes is refused.
    type: bool
    default: false
"""

EXAMPLES = r"""
# Needs a CPG named SSD_r6 on the array.
- name: Create a pool in CPG SSD_r6
  alletra.storage.alletra_pool:
    name: lxd-pool
    cpg: SSD_r6
  register: pool

- name: Show the space left in the pool's CPG
  ansible.builtin.debug:
    msg: "{{ pool.pool.name }}: {{ pool.pool.capacity.usable_free_mib }} MiB free in CPG {{ pool.pool.cpg }}"

- name: Create a pool whose volume names fit in 31 characters
  alletra.storage.alletra_pool:
    name: legacy-pool
    cpg: SSD_r6
    naming: compact

- name: Delete a pool that has no volumes
  alletra.storage.alletra_pool:
    name: legacy-pool
    state: absent

- name: Delete a pool with all its volumes, their snapshots and their exports to hosts
  alletra.storage.alletra_pool:
    name: lxd-pool
    state: absent
    force: true
"""

RETURN = r"""
pool:
  description: The pool after the task; empty when it is absent.
  returned: always
  type: dict
  contains:
    name:
      description: Pool (volume set) name.
      type: str
      sample: lxd-pool
    cpg:
      description: CPG the pool's volumes are created in.
      type: str
      sample: SSD_r6
    naming:
      description: Naming scheme of the pool's volumes, V(lxd) or V(compact).
      type: str
      sample: lxd
    members:
      description: Names of the pool's volumes.
      type: list
      elements: str
      sample: [u-5a2504b06a6c48498ee7ddb0b674fd14]
    volume_count:
      description: Number of volumes in the pool.
      type: int
      sample: 1
    capacity:
      description: Space of the pool's CPG as the array's space reporter gives it. The CPG may be shared with other pools.
      type: dict
      returned: when the pool exists
      sample: {usable_free_mib: 1048576, raw_free_mib: 2097152, used_mib: 10240, free_mib: 1038336}
deleted_volumes:
  description: Volumes and snapshots deleted with O(force=true).
  returned: when O(state=absent)
  type: list
  elements: str
  sample: [u-5a2504b06a6c48498ee7ddb0b674fd14]
"""

from ansible_collections.alletra.storage.plugins.module_utils import naming
from ansible_collections.alletra.storage.plugins.module_utils.exports import export_hosts, pool_exports, vlun_id, vluns_of
from ansible_collections.alletra.storage.plugins.module_utils.module import ModuleFailure, Raced, check_params, new_module, result, run
from ansible_collections.alletra.storage.plugins.module_utils.pools import check_pool_name, find_pool, pool_comment, pool_facts, strays_of
from ansible_collections.alletra.storage.plugins.module_utils.volumes import (
    all_volumes,
    create_refused,
    delete_volume,
    snapshot_tree,
    snapshots_by_parent,
)
from ansible_collections.alletra.storage.plugins.module_utils.wsapi import EXISTENT_SET, NON_EXISTENT_CPG, WsapiError


def capacity(client, cpg):
    report = client.request("POST", "/spacereporter", {"cpg": cpg}, idempotent=True) or {}
    return dict(
        usable_free_mib=report.get("usableFreeMiB"),
        raw_free_mib=report.get("rawFreeMiB"),
        used_mib=report.get("overprovisionedUsedMiB"),
        free_mib=report.get("overProvisionedFreeMiB"),
    )


def require_cpg(client, cpg):
    if client.get_or_none("/cpgs/" + cpg, NON_EXISTENT_CPG) is None:
        names = sorted(item["name"] for item in client.members("/cpgs"))
        raise ModuleFailure("cpg: CPG %r does not exist on the array: give one of its CPGs (%s)" % (cpg, ", ".join(names) or "none"))


def choose_naming(client, asked):
    """The naming scheme of a new pool: ``auto`` picks the one for the array's OS; LXD's names are
    refused on an array that takes at most 31 characters, before anything is created."""
    system_version = client.cached("/system").get("systemVersion")
    fitting = naming.choose_scheme(system_version)
    if asked == "auto":
        return fitting
    if asked == naming.SCHEME_LXD and fitting != naming.SCHEME_LXD:
        raise ModuleFailure("naming: lxd names have up to %d characters, but this array (OS %s) takes at most 31: use naming: "
                            "compact, or auto, which picks it for this array" % (naming.max_name_length(naming.SCHEME_LXD), system_version))
    return asked


def create(client, pool):
    """Create the pool's volume set. "Already exists" means another run won: raise Raced so the
    task reads that pool and compares. A lost answer is settled by reading the set back."""
    comment = pool_comment(pool["cpg"], pool["naming"])
    try:
        client.request("POST", "/volumesets", {"name": pool["name"], "comment": comment})
    except WsapiError as err:
        if err.code == EXISTENT_SET:
            raise Raced(pool["name"])
        if not err.unanswered:
            raise create_refused(err, pool["name"]) or err
        made = find_pool(client, pool["name"], required=False, field="name")
        if made is None:
            raise err
        if made["comment"] != comment:
            raise Raced(pool["name"])


def present(module, client):
    params = module.params
    pool = find_pool(client, params["name"], required=False, field="name")
    before = pool_facts(pool)
    if pool is None:
        if not params["cpg"]:
            raise ModuleFailure("cpg: required to create pool %r" % params["name"])
        require_cpg(client, params["cpg"])
        scheme = choose_naming(client, params["naming"])
        pool = dict(name=params["name"], cpg=params["cpg"], naming=scheme, members=[])
        if not module.check_mode:
            create(client, pool)
    else:
        if params["naming"] != "auto" and params["naming"] != pool["naming"]:
            raise ModuleFailure("naming: pool %r names its volumes with the %r scheme, which cannot change: keep naming: %s "
                                "(or auto)" % (pool["name"], pool["naming"], pool["naming"]))
        if params["cpg"] and params["cpg"] != pool["cpg"]:
            if pool["members"]:
                raise ModuleFailure(
                    "cpg: pool %r has %d volume(s) in CPG %r; moving them to %r is not supported. "
                    "Empty the pool first or keep cpg: %s" % (pool["name"], len(pool["members"]), pool["cpg"], params["cpg"], pool["cpg"]))
            require_cpg(client, params["cpg"])
            pool = dict(pool, cpg=params["cpg"])
            if not module.check_mode:
                client.request("PUT", "/volumesets/" + pool["name"], {"comment": pool_comment(pool["cpg"], pool["naming"])}, idempotent=True)
    after = pool_facts(pool)
    shown = after
    if not module.check_mode or before:
        shown = dict(after, capacity=capacity(client, pool["cpg"]))
    return result(before, after, pool=shown)


def remove_pool_exports(client, pool, pool_vluns):
    for vlun in pool_vluns:
        step = "remove export of pool %s to host %s (LUN %s)" % (pool["name"], vlun.get("hostname"), vlun.get("lun"))
        try:
            client.request("DELETE", "/vluns/" + vlun_id(vlun))
        except WsapiError as err:
            raise ModuleFailure("deleting pool %s stopped at step '%s': %s" % (pool["name"], step, err),
                                failed_step=step, wsapi_error=err.as_dict())


def absent(module, client):
    params = module.params
    pool = find_pool(client, params["name"], required=False, field="name")
    if pool is None:
        return result({}, {}, pool={}, deleted_volumes=[])
    pool_vluns = pool_exports(client, pool["name"])
    if pool_vluns and not params["force"]:
        raise ModuleFailure(
            "pool %r is exported as a volume set to host(s) %s. Remove those exports first, or set force: true to remove "
            "them with the pool" % (pool["name"], export_hosts(pool_vluns)))
    volumes = all_volumes(client)
    # Volumes of the pool that a stopped run left outside its volume set are the pool's too.
    strays = [volume["name"] for volume in strays_of(client, volumes, pool)]
    names = sorted(set(pool["members"]) | set(strays))
    if names and not params["force"]:
        raise ModuleFailure(
            "pool %r still has %d volume(s): %s. Delete them first, or set force: true to delete them with "
            "their snapshots and exports" % (pool["name"], len(names), ", ".join(names)))
    doomed = []
    children = snapshots_by_parent(volumes.values())
    for name in names:
        in_set = pool["name"] if name in pool["members"] else None
        doomed.append((name, in_set, snapshot_tree(children, name), vluns_of(client, name)))
    if not module.check_mode:
        remove_pool_exports(client, pool, pool_vluns)
    deleted = []
    for name, in_set, snapshots, vluns in doomed:
        deleted.extend(snapshot["name"] for snapshot in snapshots)
        deleted.append(name)
        if not module.check_mode:
            delete_volume(client, name, in_set, snapshots, vluns)
    if not module.check_mode:
        client.request("DELETE", "/volumesets/" + pool["name"])
    return result(pool_facts(pool), {}, pool={}, deleted_volumes=deleted)


ACTIONS = dict(present=present, absent=absent)


def check(params):
    """Every check that needs no request."""
    check_pool_name(params["name"], field="name")


def main():
    module = new_module(dict(
        name=dict(type="str", required=True),
        cpg=dict(type="str"),
        naming=dict(type="str", default="auto", choices=["auto", "lxd", "compact"]),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        force=dict(type="bool", default=False),
    ))
    check_params(module, check)
    run(module, lambda client: ACTIONS[module.params["state"]](module, client))


if __name__ == "__main__":
    main()
