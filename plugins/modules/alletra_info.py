#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, alletra.storage contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: alletra_info
short_description: Gather facts about an HPE Alletra array, its pools and volumes
version_added: 0.1.0
description:
  - Reads the array with one request per collection, never one per object; any one subset takes at most 3 requests besides login and logout,
    with or without O(pool), whether the array holds 5 volumes or 5,000.
  - Volumes and snapshots carry their LXD identity decoded from their names, so a pool's inventory can be rebuilt from the array alone.
  - The WSAPI version (C(GET /api)) is read before the login; an array whose WSAPI major version is not 1 fails the task, naming the version.
author:
  - alletra.storage contributors (@alletra-storage)
extends_documentation_fragment:
  - alletra.storage.alletra
  - alletra.storage.attributes.info_module
options:
  gather_subset:
    description:
      - What to gather. V(all) gathers everything.
      - V(lxd_pools) lists LXD's own pools on the array (volume sets LXD created, with its comment "Created and managed by LXD"),
        which this collection reads and copies from but never changes.
    type: list
    elements: str
    choices: [all, system, wsapi, cpgs, pools, lxd_pools, volumes, snapshots, hosts, vluns, targets]
    default: [system, pools]
  pool:
    description:
      - Only report this pool, its volumes, their snapshots and their vLUNs.
      - It may name one of LXD's pools (see RV(info.lxd_pools)); RV(info.pools) is then empty.
    type: str
  query:
    description:
      - A JMESPath expression applied to RV(info); its result is returned as RV(query_result).
      - Needs the Python library C(jmespath) where the task runs.
    type: str
requirements:
  - jmespath (only for O(query))
"""

EXAMPLES = r"""
# Needs the pool lxd-pool with volumes (the examples of alletra.storage.alletra_volume create them).
- name: Gather everything
  alletra.storage.alletra_info:
    gather_subset: [all]
  register: array

- name: Show the array and its pools
  ansible.builtin.debug:
    msg: "{{ array.info.system.name }} ({{ array.info.system.model }}): pools {{ array.info.pools | map(attribute='name') | join(', ') }}"

- name: Names and sizes of the volumes of one pool (needs jmespath)
  alletra.storage.alletra_info:
    gather_subset: [volumes]
    pool: lxd-pool
    query: "volumes[].{name: name, size: size}"
  register: inventory

- name: What LXD keeps on the array, decoded to LXD identities
  alletra.storage.alletra_info:
    gather_subset: [lxd_pools]
  register: lxd_side

- name: Show each LXD pool's volumes by LXD identity
  ansible.builtin.debug:
    msg: "{{ item.name }}: {{ item.members | map(attribute='decoded') | list }}"
  loop: "{{ lxd_side.info.lxd_pools }}"
  loop_control:
    label: "{{ item.name }}"

- name: LXD UUIDs of the pool's custom volumes
  alletra.storage.alletra_info:
    gather_subset: [volumes]
    pool: lxd-pool
    query: "volumes[?volume_type=='custom'].uuid"
  register: custom_volumes
"""

RETURN = r"""
info:
  description: The gathered subsets, one key each.
  returned: always
  type: dict
  contains:
    system:
      description: C(GET /system) as the array answers it.
      type: dict
      returned: when V(system) is gathered
      sample: {name: alletra01, model: HPE Alletra MP, systemVersion: 10.4.0}
    wsapi:
      description: WSAPI version and configuration.
      type: dict
      returned: when V(wsapi) is gathered
      contains:
        version:
          description: C(GET /api) as the array answers it.
          type: dict
          sample: {major: 1, minor: 10, revision: 0, build: 100400000}
        configuration:
          description: C(GET /wsapiconfiguration) as the array answers it.
          type: dict
          sample: {sessionsInUse: 1, maxSessions: 64, sessionTimeout: 15}
    cpgs:
      description: CPGs as the array answers them (C(GET /cpgs)).
      type: list
      elements: dict
      returned: when V(cpgs) is gathered
      sample: [{name: SSD_r6, numTPVVs: 3}]
    pools:
      description: Pools (volume sets marked by this collection), as M(alletra.storage.alletra_pool) returns them without capacity.
      type: list
      elements: dict
      returned: when V(pools) is gathered
      contains:
        name:
          description: The pool's name, which is its volume set's.
          type: str
          sample: lxd-pool
        volume_count:
          description: How many volumes the pool has.
          type: int
          sample: 2
        members:
          description: Array names of the pool's volumes, sorted.
          type: list
          elements: str
          sample: [c-5a2504b06a6c48498ee7ddb0b674fd14, v-0c6f1d1e8a474a399d553b0c1f6a2e11-b]
        cpg:
          description: CPG that holds the pool's volumes.
          type: str
          sample: SSD_r6
        naming:
          description: How the pool names its volumes, V(lxd) or V(compact).
          type: str
          sample: lxd
    lxd_pools:
      description:
        - LXD's pools on the array - volume sets whose comment is LXD's, C(Created and managed by LXD) - sorted by name; with O(pool),
          only that one. Read here and copied from by M(alletra.storage.alletra_volume) (O(alletra.storage.alletra_volume#module:source)),
          never changed by any module of this collection, since LXD keeps its own records of them.
        - Members are decoded to LXD identities by LXD's naming scheme; a member or snapshot whose name LXD's scheme did not make
          has C(decoded) null.
      type: list
      elements: dict
      returned: when V(lxd_pools) is gathered
      contains:
        name:
          description: The LXD pool's name, which is its volume set's.
          type: str
          sample: lxdpool
        comment:
          description: The volume set's comment, LXD's.
          type: str
          sample: Created and managed by LXD
        volume_count:
          description: How many volumes the volume set has.
          type: int
          sample: 5
        members:
          description: The pool's volumes, sorted by array name.
          type: list
          elements: dict
          contains:
            name:
              description: Array name.
              type: str
              sample: c-5a2504b06a6c48498ee7ddb0b674fd14
            decoded:
              description: The LXD identity LXD's scheme built the name from; null for a name it did not make.
              type: dict
              sample: {volume_type: container, content_type: filesystem, uuid: 5a2504b0-6a6c-4849-8ee7-ddb0b674fd14}
              contains:
                volume_type:
                  description: LXD volume type, V(container), V(virtual-machine), V(image) or V(custom).
                  type: str
                  sample: container
                content_type:
                  description: LXD content type, V(filesystem), V(block) or V(iso).
                  type: str
                  sample: filesystem
                uuid:
                  description:
                    - LXD's C(volatile.uuid) of the volume; for a snapshot, the snapshot's own.
                    - A snapshot's UUID is its user-facing name here (LXD keeps its name, C(snap0), only in its database),
                      as O(alletra.storage.alletra_volume#module:source_snapshot) takes it.
                  type: str
                  sample: 5a2504b0-6a6c-4849-8ee7-ddb0b674fd14
            size_mib:
              description: Size in MiB.
              type: int
              sample: 10240
            size:
              description: Size in LXD's notation.
              type: str
              sample: 10GiB
            wwn:
              description: SCSI WWN (upper case).
              type: str
              sample: 60002AC000000000000000010001F6B1
            nguid:
              description: NVMe namespace GUID (upper case).
              type: str
              sample: 00000001000001F62AC0000000000000
            cpg:
              description: CPG that holds the volume.
              type: str
              sample: SSD_r6
            created:
              description: Creation time (ISO 8601) as the array reports it.
              type: str
              sample: "2026-11-24T18:00:00+00:00"
            snapshots:
              description:
                - The volume's snapshots, oldest first, a snapshot's own snapshots before it. Each has every key of a member
                  but C(snapshots), plus C(parent), the array name of the volume (or snapshot) it was taken of.
              type: list
              elements: dict
              sample:
                - {name: sc-aa000000000040008000000000000001, parent: c-5a2504b06a6c48498ee7ddb0b674fd14, size_mib: 10240,
                   decoded: {volume_type: container, content_type: filesystem, uuid: aa000000-0000-4000-8000-000000000001}}
    volumes:
      description:
        - Volumes (not snapshots), by name; with O(pool), only that pool's.
        - The LXD identity (C(uuid), C(volume_type), C(content_type)) is decoded from the name; it is null where the name is not LXD-shaped.
      type: list
      elements: dict
      returned: when V(volumes) is gathered
      contains: &volume
        name:
          description: Array name.
          type: str
          sample: c-5a2504b06a6c48498ee7ddb0b674fd14
        pool:
          description: Pool of the volume, this collection's or one of LXD's (RV(info.lxd_pools)); null for a volume in no pool.
          type: str
          sample: lxd-pool
        uuid:
          description: LXD UUID decoded from the name.
          type: str
          sample: 5a2504b0-6a6c-4849-8ee7-ddb0b674fd14
        volume_type:
          description: LXD volume type decoded from the name (V(container), V(virtual-machine), V(image), V(custom)).
          type: str
          sample: container
        content_type:
          description: LXD content type decoded from the name (V(filesystem), V(block), V(iso)).
          type: str
          sample: filesystem
        snapshot:
          description: Whether it is a snapshot (a virtual copy).
          type: bool
          sample: false
        size_mib:
          description: Size in MiB.
          type: int
          sample: 10240
        size:
          description: Size in LXD's notation.
          type: str
          sample: 10GiB
        wwn:
          description: SCSI WWN (upper case); a host finds the iSCSI or FC device by it.
          type: str
          sample: 60002AC000000000000000010001F6B1
        nguid:
          description: NVMe namespace GUID (upper case); a host finds the NVMe device by it.
          type: str
          sample: 00000001000001F62AC0000000000000
        cpg:
          description: CPG that holds the volume.
          type: str
          sample: SSD_r6
        read_only:
          description: Whether the volume is read-only.
          type: bool
          sample: false
        copy_of:
          description: The volume this one is a copy or snapshot of; null for a base volume.
          type: str
          sample: null
        copy_pending:
          description: Source of a copy into the volume that a stopped run left unfinished; null otherwise.
          type: str
          sample: null
        comment:
          description: The volume's comment; this collection's mark for the volumes it creates.
          type: str
          sample: "alletra.storage:v1 pool=lxd-pool run=0d5b9c2a41f7"
        array_id:
          description: The array's id of the volume.
          type: int
          sample: 1
        created:
          description: Creation time (ISO 8601) as the array reports it.
          type: str
          sample: "2026-11-24T18:00:00+00:00"
        expires:
          description: Expiry time (ISO 8601); null when the volume does not expire.
          type: str
          sample: null
    snapshots:
      description:
        - Snapshots of the volumes (of the pool, with O(pool)), each parent's oldest first, a snapshot's own snapshots before it.
        - Each has every key of a volume, plus C(parent) and C(snapshot_name).
      type: list
      elements: dict
      returned: when V(snapshots) is gathered
      contains:
        <<: *volume
        parent:
          description: Array name of the volume the snapshot was taken of.
          type: str
          sample: c-5a2504b06a6c48498ee7ddb0b674fd14
        snapshot_name:
          description: User-facing name of a snapshot made by this collection; null for any other.
          type: str
          sample: snap0
    hosts:
      description: Host entities.
      type: list
      elements: dict
      returned: when V(hosts) is gathered
      contains:
        name:
          description: Host name; LXD names the entities it creates C(<server>-nvme-tcp) and C(<server>-iscsi).
          type: str
          sample: host01-nvme-tcp
        protocol:
          description:
            - Protocol of the host's initiators, V(nvme), V(iscsi) or V(fc).
            - A list of them for a host with initiators of several protocols; null for a host without initiators.
          type: raw
          sample: nvme
        initiators:
          description: The host's initiators (NQNs, IQNs, WWNs).
          type: list
          elements: str
          sample: ["nqn.2014-08.org.nvmexpress:uuid:5b71928e-6d3b-4c1b-9d1e-1f0e7e3c2a10"]
        persona:
          description:
            - Host persona by name, V(generic), V(generic-alua), V(generic-legacy), V(hpux-legacy), V(aix-legacy), V(egenera),
              V(ontap-legacy), V(vmware), V(openvms), V(hpux) or V(windows-server).
            - C(unknown-<number>) for a persona this collection has no name for; null when the array gives none.
          type: str
          sample: generic-alua
        comment:
          description: The comment of the host's descriptors; null when it has none.
          type: str
          sample: null
    vluns:
      description:
        - Export rules (template vLUNs, C(active) false) and their live paths (C(active) true, one per target port).
        - With O(pool), only the pool's volumes'.
      type: list
      elements: dict
      returned: when V(vluns) is gathered
      contains:
        volume:
          description: Array name of the exported volume, or C(set:<volume set>).
          type: str
          sample: c-5a2504b06a6c48498ee7ddb0b674fd14
        host:
          description: Host name, or C(set:<host set>); null for an export to a port.
          type: str
          sample: host01-nvme
        lun:
          description: LUN (NVMe namespace id) the host sees the volume at.
          type: int
          sample: 1
        active:
          description: False for the export rule, true for a live path.
          type: bool
          sample: false
        port_pos:
          description: Target port (C(<node>:<slot>:<port>)) of a live path or of a port export; null otherwise.
          type: str
          sample: "0:3:1"
        type:
          description:
            - What the rule exports to by name, V(empty), V(port), V(host), V(matched-set) or V(host-set).
            - C(unknown-<number>) for a type this collection has no name for.
          type: str
          sample: host
        subsystem_nqn:
          description: NVMe subsystem NQN an NVMe host connects to; null for other protocols.
          type: str
          sample: "nqn.2020-07.com.hpe:9f6eedaa-de41-4a31-934e-f51daf02dd51"
        volume_wwn:
          description: WWN of the exported volume.
          type: str
          sample: 60002AC000000000000000010001F6B1
    targets:
      description: Ready target ports a host can connect to (FC, iSCSI and NVMe/TCP).
      type: list
      elements: dict
      returned: when V(targets) is gathered
      contains:
        protocol:
          description: V(fc), V(iscsi) or V(nvme).
          type: str
          sample: nvme
        port_pos:
          description: Port position, C(<node>:<slot>:<port>).
          type: str
          sample: "0:3:1"
        label:
          description: The port's label; null when it has none.
          type: str
          sample: NVMe-1
        address:
          description: IP address a host connects to.
          type: str
          returned: for iSCSI and NVMe ports
          sample: 127.0.0.11
        iqn:
          description: Target IQN.
          type: str
          returned: for iSCSI ports
          sample: "iqn.2000-05.com.3pardata:20210002ac0cafe0"
        wwn:
          description: Port WWN.
          type: str
          returned: for FC ports
          sample: 20110002AC0CAFE0
query_result:
  description: The result of O(query) applied to RV(info).
  returned: when O(query) is given
  type: raw
  sample: [c-5a2504b06a6c48498ee7ddb0b674fd14]
"""

import traceback

try:
    import jmespath
    HAS_JMESPATH = True
    JMESPATH_IMPORT_ERROR = None
except ImportError as import_error:
    HAS_JMESPATH = False
    JMESPATH_IMPORT_ERROR = import_error

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.alletra.storage.plugins.module_utils import naming
from ansible_collections.alletra.storage.plugins.module_utils.exports import host_facts, is_target, target_facts, vlun_facts
from ansible_collections.alletra.storage.plugins.module_utils.module import ModuleFailure, check_params, new_module, run
from ansible_collections.alletra.storage.plugins.module_utils.pools import is_lxd_set, pool_facts, pool_of_set
from ansible_collections.alletra.storage.plugins.module_utils.snapshots import snapshot_facts
from ansible_collections.alletra.storage.plugins.module_utils.volumes import snapshot_tree, snapshots_by_parent, volume_facts
from ansible_collections.alletra.storage.plugins.module_utils.wsapi import COPY_VIRTUAL

SUBSETS = ["system", "wsapi", "cpgs", "pools", "lxd_pools", "volumes", "snapshots", "hosts", "vluns", "targets"]
# Subsets built from the listing of the volume sets, and from that of the volumes.
SET_SUBSETS = ("pools", "lxd_pools", "volumes", "snapshots")
VOLUME_SUBSETS = ("lxd_pools", "volumes", "snapshots")


def gather_pools(volume_sets, pool_name):
    """(our pools, LXD's pools' volume sets) of the array, or only ``pool_name``, which must be one of either."""
    pools = [pool_facts(pool) for pool in (pool_of_set(volume_set) for volume_set in volume_sets) if pool is not None]
    lxd_sets = [volume_set for volume_set in volume_sets if is_lxd_set(volume_set)]
    if pool_name and pool_name not in [item["name"] for item in pools + lxd_sets]:
        names = ", ".join(pool["name"] for pool in pools)
        raise ModuleFailure("pool: %r is not a pool on this array: %s, or omit pool" % (
            pool_name, "give one of its pools: " + names if names else "it has none; create one with alletra.storage.alletra_pool"))
    if pool_name:
        pools = [pool for pool in pools if pool["name"] == pool_name]
        lxd_sets = [volume_set for volume_set in lxd_sets if volume_set["name"] == pool_name]
    return pools, lxd_sets


def lxd_identity(name):
    """The LXD identity an array name was built from by LXD's scheme (volume_type, content_type, uuid), or None."""
    identity = naming.decode_name(name)
    if identity is None or identity["scheme"] != naming.SCHEME_LXD:
        return None
    return dict((key, identity[key]) for key in ("volume_type", "content_type", "uuid"))


# What lxd_pools tells of a volume or snapshot of an LXD pool, besides its LXD identity: volume_facts' keys.
LXD_VOLUME_KEYS = ("name", "size_mib", "size", "wwn", "nguid", "cpg", "created")


def lxd_volume(volume):
    """What lxd_pools tells of one volume or snapshot of an LXD pool."""
    facts = volume_facts(volume)
    return dict(((key, facts[key]) for key in LXD_VOLUME_KEYS), decoded=lxd_identity(volume["name"]))


def lxd_pool_facts(volume_set, volumes, children):
    """An LXD pool: its members decoded to LXD identities, each with its snapshots (and theirs) and their parents."""
    members = []
    for name in sorted(volume_set.get("setmembers") or []):
        member = lxd_volume(volumes.get(name) or dict(name=name))
        member["snapshots"] = [dict(lxd_volume(snapshot), parent=snapshot.get("copyOf")) for snapshot in snapshot_tree(children, name)]
        members.append(member)
    return dict(name=volume_set["name"], comment=volume_set.get("comment"), volume_count=len(members), members=members)


def gather_volumes(volumes, children, subsets, pool_of, wanted):
    """The volumes and the snapshots subsets from one listing of the array's volumes (sorted by name)
    and its snapshots by parent (snapshots_by_parent)."""
    info = {}
    bases = [volume for volume in volumes
             if volume.get("copyType") != COPY_VIRTUAL and (wanted is None or volume["name"] in wanted)]
    if "volumes" in subsets:
        info["volumes"] = [volume_facts(volume, pool_of.get(volume["name"])) for volume in bases]
    if "snapshots" in subsets:
        info["snapshots"] = [snapshot_facts(snapshot, pool_of.get(volume["name"]))
                             for volume in bases for snapshot in snapshot_tree(children, volume["name"])]
    return info


def gather_sets_and_volumes(client, subsets, pool_name):
    """The subsets built from the volume sets and the volumes, each collection read once."""
    info = {}
    volume_sets = client.members("/volumesets") if pool_name or any(subset in subsets for subset in SET_SUBSETS) else []
    pools, lxd_sets = gather_pools(volume_sets, pool_name)
    pool_of = dict((member, item["name"]) for item in pools for member in item["members"])
    pool_of.update((member, item["name"]) for item in lxd_sets for member in item.get("setmembers") or [])
    if "pools" in subsets:
        info["pools"] = pools
    volumes = []
    if any(subset in subsets for subset in VOLUME_SUBSETS):
        volumes = sorted(client.members("/volumes"), key=lambda volume: volume["name"])
    children = snapshots_by_parent(volumes) if "lxd_pools" in subsets or "snapshots" in subsets else {}
    if "lxd_pools" in subsets:
        by_name = dict((volume["name"], volume) for volume in volumes)
        info["lxd_pools"] = [lxd_pool_facts(volume_set, by_name, children) for volume_set in lxd_sets]
    wanted = set(pool_of) if pool_name else None
    if "volumes" in subsets or "snapshots" in subsets:
        info.update(gather_volumes(volumes, children, subsets, pool_of, wanted))
    return info, wanted


def gather(client, subsets, pool_name):
    info, wanted = gather_sets_and_volumes(client, subsets, pool_name)
    if "system" in subsets:
        info["system"] = client.request("GET", "/system")
    if "wsapi" in subsets:
        info["wsapi"] = dict(version=client.api_version(), configuration=client.request("GET", "/wsapiconfiguration"))
    if "cpgs" in subsets:
        info["cpgs"] = client.members("/cpgs")
    if "hosts" in subsets:
        info["hosts"] = [host_facts(host) for host in client.members("/hosts")]
    if "vluns" in subsets:
        vluns = [vlun_facts(vlun) for vlun in client.members("/vluns")]
        if wanted is not None:
            vluns = [vlun for vlun in vluns if vlun["volume"] in wanted]
        info["vluns"] = vluns
    if "targets" in subsets:
        info["targets"] = [target_facts(port) for port in client.members("/ports") if is_target(port)]
    return dict((subset, info[subset]) for subset in SUBSETS if subset in info)


def check(params):
    """Every check that needs no request; returns the compiled query (or None)."""
    if not params["query"]:
        return None
    if not HAS_JMESPATH:
        raise ModuleFailure(missing_required_lib("jmespath"), exception="".join(
            traceback.format_exception(type(JMESPATH_IMPORT_ERROR), JMESPATH_IMPORT_ERROR, None)))
    try:
        return jmespath.compile(params["query"])
    except jmespath.exceptions.JMESPathError as err:
        raise ModuleFailure("query: %r is not a valid JMESPath expression: %s" % (params["query"], err))


def action(module, client, expression):
    params = module.params
    subsets = set(SUBSETS) if "all" in params["gather_subset"] else set(params["gather_subset"])
    info = gather(client, subsets, params["pool"])
    returned = dict(changed=False, info=info)
    if expression is not None:
        returned["query_result"] = expression.search(info)
    return returned


def main():
    module = new_module(dict(
        gather_subset=dict(type="list", elements="str", default=["system", "pools"], choices=["all"] + SUBSETS),
        pool=dict(type="str"),
        query=dict(type="str"),
    ))
    expression = check_params(module, check)
    run(module, lambda client: action(module, client, expression))


if __name__ == "__main__":
    main()
