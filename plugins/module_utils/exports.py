# -*- coding: utf-8 -*-
# Copyright: (c) 2026, alletra.storage contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Exports: hosts, vLUNs (export rules) and the target ports a host connects to; the array side of a
host attach (docs/design.md, "Host attach").

Independent of pools, volumes and snapshots: they use it, it uses none of them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

from ansible_collections.alletra.storage.plugins.module_utils import naming
from ansible_collections.alletra.storage.plugins.module_utils.bulk import Reads
from ansible_collections.alletra.storage.plugins.module_utils.module import ModuleFailure, Raced
from ansible_collections.alletra.storage.plugins.module_utils.wsapi import (
    EXISTENT_HOST,
    EXISTENT_PATH,
    EXPORTED_VLUN,
    NON_EXISTENT_HOST,
    NON_EXISTENT_VLUN,
    PERSONA_GENERIC_ALUA,
    PERSONAS,
    PORT_LINK_READY,
    PORT_MODE_TARGET,
    PROTOCOL_FC,
    PROTOCOL_ISCSI,
    PROTOCOL_NVME,
    PROTOCOLS,
    VLUN_MATCHED_SET,
    VLUN_TYPES,
    WsapiError,
    enum_name,
)

# The protocols a host reaches a volume by; other ports (FCoE, IP, SAS) are not targets here.
TARGET_PROTOCOLS = (PROTOCOL_FC, PROTOCOL_ISCSI, PROTOCOL_NVME)
# Where a host object keeps its initiators of each protocol, and the field that names one.
HOST_PATHS = (("NVMETCPPaths", "NQN", PROTOCOL_NVME), ("iSCSIPaths", "name", PROTOCOL_ISCSI), ("FCPaths", "wwn", PROTOCOL_FC))

# The modes a host attaches by, in the order a discovered mode is chosen (NVMe first), with the
# protocol of each and the TCP port a host connects to on a target.
MODE_NVME = "nvme"
MODE_ISCSI = "iscsi"
MODES = (MODE_NVME, MODE_ISCSI)
MODE_PROTOCOLS = {MODE_NVME: PROTOCOL_NVME, MODE_ISCSI: PROTOCOL_ISCSI}
TARGET_PORTS = {MODE_NVME: 4420, MODE_ISCSI: 3260}
# Array host names are name31 on every family this collection names hosts for, "-<mode>" included.
HOST_NAME_MAX = 31
# Initiator names: an NVMe qualified name (NVMe base spec 4.5) and an iSCSI name (RFC 3720 3.2.6:
# iqn., eui. or naa. form); both at most 223 bytes.
INITIATOR_MAX = 223
INITIATOR_SHAPES = {
    MODE_NVME: (re.compile(r"nqn\.[0-9]{4}-[0-9]{2}\.[A-Za-z0-9][A-Za-z0-9.-]*:\S+"),
                "nqn.<yyyy-mm>.<reversed domain>:<identifier>, as in /etc/nvme/hostnqn"),
    MODE_ISCSI: (re.compile(r"iqn\.[0-9]{4}-[0-9]{2}\.[A-Za-z0-9][A-Za-z0-9.-]*(:\S+)?|eui\.[0-9A-Fa-f]{16}"
                            r"|naa\.[0-9A-Fa-f]{16}(?:[0-9A-Fa-f]{16})?"),
                 "iqn.<yyyy-mm>.<reversed domain>[:<identifier>] (or eui./naa.), as in /etc/iscsi/initiatorname.iscsi"),
}


def volume_vluns(client, volume_name):
    """Every vLUN of a volume: its export rules (templates, ``active`` false) and their live paths."""
    vluns = client.members("/vluns", query='"volumeName EQ %s"' % volume_name)
    return [vlun for vlun in vluns if vlun.get("volumeName") == volume_name]


def vluns_of(client, volume_name):
    """The export rules (template vLUNs) of a volume."""
    return [vlun for vlun in volume_vluns(client, volume_name) if not vlun.get("active")]


def pool_exports(client, pool_name):
    """The export rules of a pool's whole volume set (``set:<pool>``): they export every member."""
    return vluns_of(client, "set:" + pool_name)


class ExportReads(object):
    """The vLUNs of the volumes one run names, and of its pool's volume set, read for all of them in a
    few queries (bulk.Reads: ``volumeName EQ x``); a volume the run changed is read again when asked for."""

    def __init__(self, client, volume_names=(), pool_name=None):
        names = list(volume_names) + (["set:" + pool_name] if pool_name else [])
        self.reads = Reads(client, "/vluns", ("volumeName",), names)

    def volume_vluns(self, volume_name):
        """Every vLUN of a volume, as volume_vluns() reads them."""
        return list(self.reads.members(volume_name))

    def vluns_of(self, volume_name):
        """The export rules (template vLUNs) of a volume."""
        return [vlun for vlun in self.volume_vluns(volume_name) if not vlun.get("active")]

    def pool_exports(self, pool_name):
        """The export rules of a pool's whole volume set."""
        return self.vluns_of("set:" + pool_name)

    def forget(self, *names):
        self.reads.forget(*names)


def export_hosts(vluns):
    """The hosts of export rules, for messages."""
    return ", ".join(sorted(set(vlun.get("hostname") or "?" for vlun in vluns)))


def port_pos(item):
    """The ``portPos`` of a port or vLUN as ``<node>:<slot>:<port>``, or None when it has none."""
    pos = item.get("portPos") or {}
    return "%s:%s:%s" % (pos.get("node"), pos.get("slot"), pos.get("cardPort")) if pos else None


def vlun_id(vlun):
    """The id of a vLUN in DELETE /vluns/<vol>,<lun>,<host>[,<n:s:p>]: the port belongs to the id of a
    port export (no host) and of a matched set (one host through one port)."""
    parts = [vlun["volumeName"], str(vlun["lun"]), vlun.get("hostname") or ""]
    position = port_pos(vlun)
    if position and (not vlun.get("hostname") or vlun.get("type") == VLUN_MATCHED_SET):
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


def ip_address(text):
    """``text`` as an IP address, or None when it is not one."""
    try:
        return ipaddress.ip_address(str(text))
    except ValueError:
        return None


def port_address(port):
    """The address a host connects to on an iSCSI or NVMe/TCP port.

    HPE's own clients read an NVMe/TCP port's address from ``nodeWWN``: taken when it is an IP
    address, else ``IPAddr`` (which iSCSI ports always use).
    """
    if port.get("protocol") == PROTOCOL_NVME and ip_address(port.get("nodeWWN")) is not None:
        return port["nodeWWN"]
    return port.get("IPAddr")


def target_facts(port):
    """What a host needs to connect to a target port: its address (iSCSI, NVMe/TCP) or WWN (FC)."""
    protocol = port.get("protocol")
    facts = dict(protocol=enum_name(PROTOCOLS, protocol), port_pos=port_pos(port), label=port.get("label"))
    if protocol == PROTOCOL_ISCSI:
        facts.update(address=port_address(port), iqn=port.get("iSCSIName"))
    elif protocol == PROTOCOL_NVME:
        facts.update(address=port_address(port))
    else:
        facts.update(wwn=port.get("portWWN"))
    return facts


# -- host attach: host entities, export rules and targets of one mode -------------------------

def check_initiator(mode, initiator, field):
    """Refuse an initiator name that is not of ``mode``'s shape, naming ``field``."""
    pattern, shape = INITIATOR_SHAPES[mode]
    if not pattern.fullmatch(initiator) or len(initiator.encode("utf-8")) > INITIATOR_MAX:
        raise ModuleFailure("%s: %r is not an %s initiator name: expected %s (at most %d bytes)" % (
            field, initiator, "NVMe" if mode == MODE_NVME else "iSCSI", shape, INITIATOR_MAX))
    return initiator


def entity_name(host_name, mode):
    """The name of the host entity this collection creates for ``host_name``: ``<host_name>-<mode>``."""
    name = "%s-%s" % (host_name, mode)
    if not naming.valid_array_name(host_name) or host_name in (".", ".."):
        raise ModuleFailure("host_name: %r is not a valid array host name: use letters, digits, '.', '_' or '-', "
                            "not starting with '-'" % (host_name,))
    if len(name) > HOST_NAME_MAX:
        raise ModuleFailure("host_name: the host entity %r would have %d characters; array host names have at most %d, "
                            "so give a host_name of at most %d characters" % (
                                name, len(name), HOST_NAME_MAX, HOST_NAME_MAX - len(mode) - 1))
    return name


def initiators_of(host, mode):
    """The initiators of ``mode`` a host entity has."""
    member, field = next((member, field) for member, field, protocol in HOST_PATHS if protocol == MODE_PROTOCOLS[mode])
    return [path[field] for path in host.get(member) or [] if path.get(field)]


def has_initiator(host, initiator, mode):
    """Whether a host entity has ``initiator`` (compared without case, as the array does)."""
    return initiator.lower() in [path.lower() for path in initiators_of(host, mode)]


def find_host_entity(client, initiator, mode):
    """The host entity that has ``initiator`` among its paths of ``mode``, whatever its name, or None.

    There is no query by NQN, so every host is read, as HPE's own clients do; a match by initiator
    finds LXD's entities (``host01-nvme-tcp``) as well as this collection's.
    """
    return next((host for host in client.members("/hosts") if has_initiator(host, initiator, mode)), None)


def entity_on_path(vluns, initiator):
    """The host entity ({name}) that a live path among ``vluns`` shows ``initiator`` on, or None.

    The array names the initiator of each live path (``remoteName``), so an export the host uses
    names its entity without a read of every host (an initiator belongs to one entity at most).
    """
    for vlun in vluns:
        if vlun.get("active") and vlun.get("hostname") and (vlun.get("remoteName") or "").lower() == initiator.lower():
            return dict(name=vlun["hostname"])
    return None


def lookup_host(client, host_name, mode, initiator):
    """The host entity of ``initiator``: found by initiator, else by the name ``<host_name>-<mode>``; None if neither.

    An entity of that name with other initiators is refused: it is another host's (or a stale one
    from before a reinstall), and is never reused, changed or deleted.
    """
    host = find_host_entity(client, initiator, mode)
    if host is not None:
        return host
    name = entity_name(host_name, mode)
    host = client.get_or_none("/hosts/" + name, NON_EXISTENT_HOST)
    if host is None or has_initiator(host, initiator, mode):
        return host
    theirs = ", ".join(host_facts(host)["initiators"]) or "none"
    raise ModuleFailure(
        "host_name: host entity %r exists on the array with initiator(s) %s, not %s; it is another host's and is left "
        "alone (never reused, changed or deleted). Give another host_name, or remove that entity if it is stale" % (
            name, theirs, initiator))


def ensure_host(client, host_name, mode, initiator):
    """(host entity, created): the entity of ``initiator`` (see lookup_host), else a new ``<host_name>-<mode>``.

    A create whose answer was lost, or that another run beat ("already exists", "path in use"), is
    settled by looking the entity up again; an entity found after a lost answer is this run's.
    """
    host = lookup_host(client, host_name, mode, initiator)
    if host is not None:
        return host, False
    body = {"name": entity_name(host_name, mode), "persona": PERSONA_GENERIC_ALUA}
    if mode == MODE_NVME:
        body["NQN"] = initiator
    else:
        body["iSCSINames"] = [initiator]
    try:
        client.request("POST", "/hosts", body)
    except WsapiError as err:
        if not (err.unanswered or err.code in (EXISTENT_HOST, EXISTENT_PATH)):
            raise
        host = lookup_host(client, host_name, mode, initiator)
        if host is None:
            raise
        return host, err.unanswered and host["name"] == body["name"]
    return body, True


def entity_export(vluns, host_entity_name):
    """The export rule to ``host_entity_name`` among a volume's vLUNs (every rule counts, not the first
    only), with the NVMe subsystem NQN its live paths carry; the lowest LUN when there are several; or None."""
    rules = sorted((vlun for vlun in vluns if not vlun.get("active") and vlun.get("hostname") == host_entity_name),
                   key=lambda vlun: vlun["lun"])
    if not rules:
        return None
    rule = dict(rules[0])
    if not rule.get("Subsystem_NQN"):
        rule["Subsystem_NQN"] = next((vlun["Subsystem_NQN"] for vlun in vluns if vlun.get("active") and vlun.get("Subsystem_NQN")
                                      and vlun.get("hostname") == host_entity_name and vlun["lun"] == rule["lun"]), None)
    return rule


def ensure_vlun(client, volume_name, host_entity):
    """(export rule, created): the volume's rule for ``host_entity``, else a new one with a LUN the array picks.

    The LUN is read back (an answer carries it only in its Location header); a create whose answer
    was lost is settled by the same read. An entity gone by then (404/17) was deleted since it was
    read, by a parallel detach of its last export: Raced, so module.run() starts the action again from
    a fresh read, which makes the entity again.
    """
    rule = entity_export(volume_vluns(client, volume_name), host_entity["name"])
    if rule is not None:
        return rule, False
    lost = None
    try:
        client.request("POST", "/vluns", {"volumeName": volume_name, "hostname": host_entity["name"], "lun": 0,
                                          "autoLun": True, "maxAutoLun": 0})
    except WsapiError as err:
        if err.code == NON_EXISTENT_HOST:
            raise Raced(host_entity["name"], "deleted")
        if not err.unanswered:
            raise
        lost = err
    rule = entity_export(volume_vluns(client, volume_name), host_entity["name"])
    if rule is None:
        raise lost or ModuleFailure("the array accepted the export of %s to %s but does not list it" % (
            volume_name, host_entity["name"]))
    return rule, True


def remove_vlun(client, rule):
    """Delete one export rule; one already gone counts as deleted."""
    try:
        client.request("DELETE", "/vluns/" + vlun_id(rule))
    except WsapiError as err:
        if err.code != NON_EXISTENT_VLUN:
            raise


def remove_vluns(client, volume_name, host_entity):
    """Delete every export rule of the volume to ``host_entity``; returns the rules deleted."""
    rules = [rule for rule in vluns_of(client, volume_name) if rule.get("hostname") == host_entity["name"]]
    for rule in rules:
        remove_vlun(client, rule)
    return rules


def host_vluns(client, host_entity):
    """The export rules to ``host_entity``, of any volume."""
    vluns = client.members("/vluns", query='"hostname EQ %s"' % host_entity["name"])
    return [vlun for vlun in vluns if vlun.get("hostname") == host_entity["name"] and not vlun.get("active")]


def delete_host(client, host_entity):
    """Delete a host entity; False when it is kept because a volume was exported to it meanwhile."""
    try:
        client.request("DELETE", "/hosts/" + host_entity["name"])
    except WsapiError as err:
        if err.code == EXPORTED_VLUN:
            return False
        if err.code != NON_EXISTENT_HOST:
            raise
    return True


def ready_targets(client, mode):
    """The ready target ports of ``mode`` (read once per run: ports do not change during one)."""
    ports = (client.cached("/ports") or {}).get("members") or []
    return [port for port in ports if is_target(port) and port.get("protocol") == MODE_PROTOCOLS[mode]]


def default_mode(client):
    """The mode of the ready target ports, NVMe first."""
    for mode in MODES:
        if ready_targets(client, mode):
            return mode
    raise ModuleFailure("mode: the array has no ready NVMe/TCP or iSCSI target port to attach by")


def targets_for(client, mode, addresses=None, vlun=None):
    """What a host connects to: address, port and qualified name of each ready target port of ``mode``.

    ``addresses`` (bare IPs) keeps only those ports. The iSCSI qualified name is the port's
    ``iSCSIName``; the NVMe one is the subsystem NQN of the export rule ``vlun`` (None without it).
    """
    ports = ready_targets(client, mode)
    if not ports:
        raise ModuleFailure("mode: the array has no ready %s target port" % mode)
    wanted = set(ip_address(address) for address in addresses or [])
    targets = []
    for port in ports:
        address = port_address(port)
        if wanted and ip_address(address) not in wanted:
            continue
        qualified_name = port.get("iSCSIName") if mode == MODE_ISCSI else (vlun or {}).get("Subsystem_NQN")
        targets.append(dict(address=address, port=TARGET_PORTS[mode], qualified_name=qualified_name))
    if not targets:
        raise ModuleFailure("targets: none of %s is the address of a ready %s target port of the array, whose addresses are: %s" % (
            ", ".join(addresses), mode, ", ".join(str(port_address(port)) for port in ports)))
    return targets
