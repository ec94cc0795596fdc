# -*- coding: utf-8 -*-
# Copyright: (c) 2026, alletra.storage contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Exports: hosts, vLUNs (export rules) and the target ports a host connects to.

Independent of pools, volumes and snapshots: they use it, it uses none of them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.alletra.storage.plugins.module_utils.wsapi import (
    PERSONAS,
    PORT_LINK_READY,
    PORT_MODE_TARGET,
    PROTOCOL_FC,
    PROTOCOL_ISCSI,
    PROTOCOL_NVME,
    PROTOCOLS,
    VLUN_TYPES,
    enum_name,
)

# The protocols a host reaches a volume by; other ports (FCoE, IP, SAS) are not targets here.
TARGET_PROTOCOLS = (PROTOCOL_FC, PROTOCOL_ISCSI, PROTOCOL_NVME)
# Where a host object keeps its initiators of each protocol, and the field that names one.
HOST_PATHS = (("NVMETCPPaths", "NQN", PROTOCOL_NVME), ("iSCSIPaths", "name", PROTOCOL_ISCSI), ("FCPaths", "wwn", PROTOCOL_FC))


def vluns_of(client, volume_name):
    """The export rules (template vLUNs) of a volume."""
    vluns = client.members("/vluns", query='"volumeName EQ %s"' % volume_name)
    return [vlun for vlun in vluns if vlun.get("volumeName") == volume_name and not vlun.get("active")]


def pool_exports(client, pool_name):
    """The export rules of a pool's whole volume set (``set:<pool>``): they export every member."""
    return vluns_of(client, "set:" + pool_name)


def export_hosts(vluns):
    """The hosts of export rules, for messages."""
    return ", ".join(sorted(set(vlun.get("hostname") or "?" for vlun in vluns)))


def port_pos(item):
    """The ``portPos`` of a port or vLUN as ``<node>:<slot>:<port>``, or None when it has none."""
    pos = item.get("portPos") or {}
    return "%s:%s:%s" % (pos.get("node"), pos.get("slot"), pos.get("cardPort")) if pos else None


def vlun_id(vlun):
    """The id of a vLUN in DELETE /vluns/<vol>,<lun>,<host>[,<n:s:p>]."""
    parts = [vlun["volumeName"], str(vlun["lun"]), vlun.get("hostname") or ""]
    position = port_pos(vlun)
    if position and not vlun.get("hostname"):
        parts.append(position)
    return ",".join(parts)


def host_facts(host):
    """A host entity: its protocol (a list when it has initiators of several), initiators and persona by name."""
    paths = []
    for member, field, protocol in HOST_PATHS:
        paths += [(PROTOCOLS[protocol], path.get(field)) for path in host.get(member) or []]
    protocols = sorted(set(path[0] for path in paths))
    return dict(name=host["name"], protocol=protocols[0] if len(protocols) == 1 else (protocols or None),
                initiators=[path[1] for path in paths if path[1]], persona=enum_name(PERSONAS, host.get("persona")),
                comment=(host.get("descriptors") or {}).get("comment"))


def vlun_facts(vlun):
    """An export rule (``active`` false) or one of its live paths, with its type by name."""
    return dict(volume=vlun.get("volumeName"), host=vlun.get("hostname"), lun=vlun.get("lun"), active=bool(vlun.get("active")),
                port_pos=port_pos(vlun), type=enum_name(VLUN_TYPES, vlun.get("type")), subsystem_nqn=vlun.get("Subsystem_NQN"),
                volume_wwn=vlun.get("volumeWWN"))


def is_target(port):
    """A ready target port of a protocol a host connects by."""
    return port.get("linkState") == PORT_LINK_READY and port.get("mode") == PORT_MODE_TARGET and port.get("protocol") in TARGET_PROTOCOLS


def target_facts(port):
    """What a host needs to connect to a target port: its address (iSCSI, NVMe/TCP) or WWN (FC)."""
    protocol = port.get("protocol")
    facts = dict(protocol=enum_name(PROTOCOLS, protocol), port_pos=port_pos(port), label=port.get("label"))
    if protocol == PROTOCOL_ISCSI:
        facts.update(address=port.get("IPAddr"), iqn=port.get("iSCSIName"))
    elif protocol == PROTOCOL_NVME:
        # HPE's own clients read the NVMe/TCP address from nodeWWN; IPAddr is the fallback.
        facts.update(address=port.get("nodeWWN") or port.get("IPAddr"))
    else:
        facts.update(wwn=port.get("portWWN"))
    return facts
