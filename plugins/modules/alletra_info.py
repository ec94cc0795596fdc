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
  - Reads the array with one request per collection (no request per object).
  - Volumes and snapshots carry their LXD identity decoded from their names, so a pool's inventory can be rebuilt from the array alone.
author:
  - alletra.storage contributors (@alletra-storage)
extends_documentation_fragment:
  - alletra.storage.alletra
attributes:
  check_mode:
    support: full
    description: The module only reads.
  diff_mode:
    support: none
    description: The module only reads.
options:
  gather_subset:
    description:
      - What to gather. V(all) gathers everything.
    type: list
    elements: str
    choices: [all, system, wsapi, cpgs, pools, volumes, snapshots, hosts, vluns, targets]
    default: [system, pools]
  pool:
    description:
      - Only report this pool, its volumes, their snapshots and their vLUNs.
    type: str
  query:
    description:
      - A JMESPath expression applied to RV(info); its result is returned as RV(query_result).
      - Needs the Python library C(jmespath).
    type: str
"""

EXAMPLES = r"""
- name: Gather everything
  alletra.storage.alletra_info:
    gather_subset: [all]
  register: array

- name: Names and sizes of the volumes of one pool
  alletra.storage.alletra_info:
    gather_subset: [volumes]
    pool: lxd-pool
    query: "volumes[].{name: name, size: size}"
  register: inventory

- name: LXD UUIDs of the pool's custom volumes
  alletra.storage.alletra_info:
    gather_subset: [volumes]
    pool: lxd-pool
    query: "volumes[?volume_type=='custom'].uuid"
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
      description: WSAPI version (C(GET /api)) and configuration (C(GET /wsapiconfiguration)).
      type: dict
      returned: when V(wsapi) is gathered
      sample: {version: {major: 1, minor: 10, revision: 0, build: 100400000}, configuration: {sessionsInUse: 1}}
    cpgs:
      description: CPGs as the array answers them.
      type: list
      elements: dict
      returned: when V(cpgs) is gathered
      sample: [{name: SSD_r6, numTPVVs: 3}]
    pools:
      description: Pools (volume sets marked by this collection) with their CPG, naming scheme and members.
      type: list
      elements: dict
      returned: when V(pools) is gathered
      sample: [{name: lxd-pool, cpg: SSD_r6, naming: lxd, members: [c-5a2504b06a6c48498ee7ddb0b674fd14], volume_count: 1}]
    volumes:
      description:
        - Volumes (not snapshots), each with its pool and decoded LXD identity (null where the name is not LXD-shaped).
        - C(copy_pending) names the source of a copy into the volume that a stopped run left unfinished.
      type: list
      elements: dict
      returned: when V(volumes) is gathered
      sample: [{name: c-5a2504b06a6c48498ee7ddb0b674fd14, pool: lxd-pool, uuid: 5a2504b0-6a6c-4849-8ee7-ddb0b674fd14,
                volume_type: container, content_type: filesystem, size_mib: 10240, size: 10GiB, wwn: 60002AC000000000000000010001F6B1}]
    snapshots:
      description: Snapshots, each with its parent and, for snapshots made by this collection, its user-facing name.
      type: list
      elements: dict
      returned: when V(snapshots) is gathered
      sample: [{name: sc-0bb1c9a2b7a45d0e8f0c6b1f2a3d4e5f, parent: c-5a2504b06a6c48498ee7ddb0b674fd14, snapshot_name: snap0}]
    hosts:
      description: Host entities with their protocol and initiators (IQNs, NQNs, WWNs).
      type: list
      elements: dict
      returned: when V(hosts) is gathered
      sample: [{name: host01-nvme, protocol: nvme, initiators: ["nqn.2014-08.org.nvmexpress:uuid:5b71928e-6d3b-4c1b-9d1e-1f0e7e3c2a10"]}]
    vluns:
      description: Export rules (template vLUNs) and their active paths.
      type: list
      elements: dict
      returned: when V(vluns) is gathered
      sample: [{volume: c-5a2504b06a6c48498ee7ddb0b674fd14, host: host01-nvme, lun: 1, active: false}]
    targets:
      description: Ready target ports a host can connect to.
      type: list
      elements: dict
      returned: when V(targets) is gathered
      sample: [{protocol: nvme, address: 127.0.0.11, port_pos: "0:3:1"}]
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

from ansible_collections.alletra.storage.plugins.module_utils import common

SUBSETS = ["system", "wsapi", "cpgs", "pools", "volumes", "snapshots", "hosts", "vluns", "targets"]
PROTOCOLS = {1: "fc", 2: "iscsi", 6: "nvme"}
PORT_READY = 4
PORT_MODE_TARGET = 2


def port_pos(port):
    pos = port.get("portPos") or {}
    return "%s:%s:%s" % (pos.get("node"), pos.get("slot"), pos.get("cardPort")) if pos else None


def host_view(host):
    paths = [("nvme", p.get("NQN")) for p in host.get("NVMETCPPaths") or []]
    paths += [("iscsi", p.get("name")) for p in host.get("iSCSIPaths") or []]
    paths += [("fc", p.get("wwn")) for p in host.get("FCPaths") or []]
    protocols = sorted(set(path[0] for path in paths))
    return dict(name=host["name"], protocol=protocols[0] if len(protocols) == 1 else (protocols or None),
                initiators=[path[1] for path in paths if path[1]], persona=host.get("persona"),
                comment=(host.get("descriptors") or {}).get("comment"))


def vlun_view(vlun):
    return dict(volume=vlun.get("volumeName"), host=vlun.get("hostname"), lun=vlun.get("lun"), active=bool(vlun.get("active")),
                port_pos=port_pos(vlun), type=vlun.get("type"), subsystem_nqn=vlun.get("Subsystem_NQN"),
                volume_wwn=vlun.get("volumeWWN"))


def target_view(port):
    protocol = PROTOCOLS.get(port.get("protocol"))
    view = dict(protocol=protocol, port_pos=port_pos(port), label=port.get("label"))
    if protocol == "iscsi":
        view.update(address=port.get("IPAddr"), iqn=port.get("iSCSIName"))
    elif protocol == "nvme":
        # HPE's own clients read the NVMe/TCP address from nodeWWN; IPAddr is the fallback.
        view.update(address=port.get("nodeWWN") or port.get("IPAddr"))
    else:
        view.update(wwn=port.get("portWWN"))
    return view


def gather(client, subsets, pool_name):
    info = {}
    pools = None
    if "pools" in subsets or pool_name or "volumes" in subsets or "snapshots" in subsets:
        pools = []
        for volume_set in client.members("/volumesets"):
            settings = common.parse_marked_comment(volume_set.get("comment"))
            if settings is None or not settings.get("cpg"):
                continue
            members = sorted(volume_set.get("setmembers") or [])
            pools.append(dict(name=volume_set["name"], cpg=settings["cpg"], naming=settings.get("naming", "lxd"),
                              members=members, volume_count=len(members)))
        if pool_name and pool_name not in [pool["name"] for pool in pools]:
            raise common.ModuleFailure("pool: %r is not a pool on this array; pools: %s" % (pool_name, ", ".join(p["name"] for p in pools) or "none"))
        if pool_name:
            pools = [pool for pool in pools if pool["name"] == pool_name]
    pool_of = dict((member, pool["name"]) for pool in pools or [] for member in pool["members"])
    if "system" in subsets:
        info["system"] = client.request("GET", "/system")
    if "wsapi" in subsets:
        info["wsapi"] = dict(version=client.api_version(), configuration=client.request("GET", "/wsapiconfiguration"))
    if "cpgs" in subsets:
        info["cpgs"] = client.members("/cpgs")
    if "pools" in subsets:
        info["pools"] = pools
    wanted = set(pool_of) if pool_name else None
    if "volumes" in subsets or "snapshots" in subsets:
        volumes = common.all_volumes(client)
        if "volumes" in subsets:
            info["volumes"] = [common.volume_facts(volume, pool_of.get(name)) for name, volume in sorted(volumes.items())
                               if volume.get("copyType") != 3 and (wanted is None or name in wanted)]
        if "snapshots" in subsets:
            info["snapshots"] = []
            for name in sorted(volumes):
                if volumes[name].get("copyType") == 3 or (wanted is not None and name not in wanted):
                    continue
                for snapshot in common.snapshots_of(volumes, name):
                    info["snapshots"].append(common.snapshot_facts(snapshot, pool_of.get(name)))
    if "hosts" in subsets:
        info["hosts"] = [host_view(host) for host in client.members("/hosts")]
    if "vluns" in subsets:
        vluns = [vlun_view(vlun) for vlun in client.members("/vluns")]
        if wanted is not None:
            vluns = [vlun for vlun in vluns if vlun["volume"] in wanted]
        info["vluns"] = vluns
    if "targets" in subsets:
        info["targets"] = [target_view(port) for port in client.members("/ports")
                           if port.get("linkState") == PORT_READY and port.get("mode") == PORT_MODE_TARGET and port.get("protocol") in PROTOCOLS]
    return info


def main():
    module = common.new_module(dict(
        gather_subset=dict(type="list", elements="str", default=["system", "pools"], choices=["all"] + SUBSETS),
        pool=dict(type="str"),
        query=dict(type="str"),
    ))
    params = module.params
    subsets = set(SUBSETS) if "all" in params["gather_subset"] else set(params["gather_subset"])
    expression = None
    if params["query"]:
        if not HAS_JMESPATH:
            module.fail_json(msg=missing_required_lib("jmespath"), exception="".join(
                traceback.format_exception(type(JMESPATH_IMPORT_ERROR), JMESPATH_IMPORT_ERROR, None)))
        try:
            expression = jmespath.compile(params["query"])
        except jmespath.exceptions.JMESPathError as err:
            module.fail_json(msg="query: %r is not a valid JMESPath expression: %s" % (params["query"], err))

    def action(client):
        info = gather(client, subsets, params["pool"])
        result = dict(changed=False, info=info)
        if expression is not None:
            result["query_result"] = expression.search(info)
        return result

    common.run(module, action)


if __name__ == "__main__":
    main()
