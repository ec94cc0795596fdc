#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, alletra.storage contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: alletra_host_attach
short_description: Export a volume of a pool to a host over NVMe/TCP or iSCSI on HPE Alletra
version_added: 0.2.0
description:
  - Exports a volume of a pool made by M(alletra.storage.alletra_pool) to a host, as LXD's C(alletra) driver maps a volume,
    or removes that export.
  - The array side is a host entity that holds the host's initiator (its NVMe qualified name or iSCSI name) and an export
    rule (vLUN) of the volume to that entity. The host entity is found by the initiator first, whatever its name, so an
    entity LXD made (for example C(host01-nvme-tcp)) is used as it is. Otherwise it is the entity named
    C(<host_name>-<mode>), which is created when it does not exist. An entity of that name that has other initiators
    belongs to another host (or predates a reinstall), so the task fails naming both, and never reuses, changes or deletes it.
  - Every export rule of the volume is considered, not only the first; an existing rule to the entity is kept with its LUN.
    A new one gets the LUN the array picks, read back from the array.
  - When the array's answer to a create is lost or late, or another run created the same object first, the module reads
    the array back instead of sending the request again. When a parallel run deletes the host entity (after its last
    export) before this run exports to it, this run starts again from what the array holds and creates the entity again.
  - A failure part-way deletes the export and the host entity this run created, and the message names the step that failed.
  - With O(state=absent), the module removes the volume's export rules to the host entity, and deletes the entity once no
    export to it is left.
  - With O(connect=false) only the array side is managed, so the task can run on the controller; give the host's
    initiator with O(nqn) or O(iqn).
  - With O(connect=true) the module also connects the managed host to the targets and returns the block device. That host
    side comes with the C(connector) module utility of this collection; where it is not available, or the host lacks the
    kernel modules or tools it needs (see the C(alletra.storage.alletra_initiator) role), the task fails saying so before the array
    is changed.
author:
  - alletra.storage contributors (@alletra-storage)
extends_documentation_fragment:
  - alletra.storage.alletra
  - alletra.storage.attributes
  - alletra.storage.volume
  - alletra.storage.bulk
options:
  mode:
    description:
      - Protocol the host reaches the volume by. V(nvme/tcp), LXD's name, is the same as V(nvme).
      - When omitted, O(nqn) alone means V(nvme) and O(iqn) alone means V(iscsi); otherwise the mode is discovered from the
        array's ready target ports, NVMe/TCP first.
    type: str
    choices: [nvme, nvme/tcp, iscsi]
  host_name:
    description:
      - Name the host entity is created under, with the suffix C(-<mode>) (C(host01) gives C(host01-nvme) or C(host01-iscsi)).
      - Array host names have at most 31 characters, so O(host_name) has at most 26 (V(nvme)) or 25 (V(iscsi)).
      - Defaults to the short host name of the host the module runs on (the controller with O(connect=false)).
    type: str
  targets:
    description:
      - Addresses (bare IPs, without a port) of the array's target ports to use, as LXD's C(alletra.target).
      - When omitted, every ready target port of the mode is used.
      - The task fails when none of them is a ready target port of the mode.
    type: list
    elements: str
  state:
    description:
      - V(present) exports the volume to the host (and connects it with O(connect=true)); V(absent) removes that export.
    type: str
    choices: [present, absent]
    default: present
  shared:
    description:
      - Export the volume also when it is already exported to another host entity (a volume shared by a cluster).
      - With V(false), such a volume is refused and the message names the other host entities.
    type: bool
    default: false
  connect:
    description:
      - Also manage the host side on the managed host. With V(true) the host is connected to the targets and the block device
        is waited for (O(state=present)), or the device is removed (refused while it is mounted or held) and the host
        disconnected after its last export (O(state=absent)).
      - With V(false), only the array side is managed; O(nqn) or O(iqn) is then required.
    type: bool
    default: true
  nqn:
    description:
      - NVMe qualified name of the host (the content of its C(/etc/nvme/hostnqn)), for example
        V(nqn.2014-08.org.nvmexpress:uuid:5b71928e-6d3b-4c1b-9d1e-1f0e7e3c2a10).
      - With O(connect=true) it defaults to what the host's file says.
      - Not with O(mode=iscsi).
    type: str
  iqn:
    description:
      - iSCSI name of the host (the C(InitiatorName=) of its C(/etc/iscsi/initiatorname.iscsi)), for example
        V(iqn.1993-08.org.debian:01:host01).
      - With O(connect=true) it defaults to what the host's file says.
      - Not with O(mode=nvme).
    type: str
  device_timeout:
    description:
      - Seconds to wait for the block device to appear on the host after connecting (O(connect=true)).
    type: int
    default: 30
  volumes:
    description:
      - Several volumes of O(pool) for the one host of the task (the bulk form), each exported (or its export removed) as
        the task does for the one volume of O(name) or O(uuid). Mutually exclusive with O(name) and O(uuid).
      - Each item is a dict of the options O(name) or O(uuid), O(volume_type) and O(content_type), with their meaning and
        values here; one an item leaves out takes the task's value, or its default. The host, the mode, the targets, the
        state and the other options are the task's.
      - The host entity is found once, created before the first export that needs it, and deleted after the detach of
        its last export. The notes say how the items run.
    type: list
    elements: dict
    version_added: 0.3.0
requirements:
  - "With O(connect=true), on the host the task runs on: for NVMe/TCP nvme-cli and the kernel modules C(nvme_fabrics) and
    C(nvme_tcp); for iSCSI open-iscsi (iscsi-initiator-utils on the RHEL family), multipath-tools (device-mapper-multipath)
    and the kernel module C(iscsi_tcp). The C(alletra.storage.alletra_initiator) role installs and loads them."
notes:
  - The NVMe/TCP targets listen on port 4420 and the iSCSI targets on port 3260.
  - An export removed with O(state=absent) is only the one to this host's entity; exports of the volume to other hosts stay.
seealso:
  - module: alletra.storage.alletra_volume
  - module: alletra.storage.alletra_info
"""

EXAMPLES = r"""
# Needs the custom block volume with UUID 5a2504b0-6a6c-4849-8ee7-ddb0b674fd14 in pool lxd-pool (the first example
# of alletra.storage.alletra_volume creates it), and ready target ports: NVMe/TCP, and iSCSI at 192.0.2.11.
# These tasks manage the array side only (connect: false), so they run on the controller; playbooks/attach.yml
# of this collection also connects the host, formats and mounts the volume.
- name: Export a custom block volume to host01 over NVMe/TCP
  alletra.storage.alletra_host_attach:
    pool: lxd-pool
    uuid: 5a2504b0-6a6c-4849-8ee7-ddb0b674fd14
    volume_type: custom
    content_type: block
    host_name: host01
    nqn: nqn.2014-08.org.nvmexpress:uuid:5b71928e-6d3b-4c1b-9d1e-1f0e7e3c2a10
    connect: false
  register: export

- name: Show what host01 connects to
  ansible.builtin.debug:
    msg: "LUN {{ export.lun }} of {{ export.targets[0].qualified_name }} at {{ export.targets | map(attribute='address') | join(', ') }}"

- name: See, without changing anything, what exporting both custom block volumes to host01 would do
  alletra.storage.alletra_host_attach:
    pool: lxd-pool
    content_type: block
    volumes:
      - uuid: 5a2504b0-6a6c-4849-8ee7-ddb0b674fd14
      - uuid: 0c6f1d1e-8a47-4a39-9d55-3b0c1f6a2e11
    host_name: host01
    nqn: nqn.2014-08.org.nvmexpress:uuid:5b71928e-6d3b-4c1b-9d1e-1f0e7e3c2a10
    connect: false
  check_mode: true

- name: Export the same volume to host02 as well, over iSCSI through one target address
  alletra.storage.alletra_host_attach:
    pool: lxd-pool
    uuid: 5a2504b0-6a6c-4849-8ee7-ddb0b674fd14
    volume_type: custom
    content_type: block
    host_name: host02
    iqn: iqn.1993-08.org.debian:01:host02
    targets:
      - 192.0.2.11
    shared: true
    connect: false

- name: Remove the export to host02 (its host entity goes with its last export)
  alletra.storage.alletra_host_attach:
    pool: lxd-pool
    uuid: 5a2504b0-6a6c-4849-8ee7-ddb0b674fd14
    volume_type: custom
    content_type: block
    iqn: iqn.1993-08.org.debian:01:host02
    state: absent
    connect: false

- name: Remove the export to host01
  alletra.storage.alletra_host_attach:
    pool: lxd-pool
    uuid: 5a2504b0-6a6c-4849-8ee7-ddb0b674fd14
    volume_type: custom
    content_type: block
    nqn: nqn.2014-08.org.nvmexpress:uuid:5b71928e-6d3b-4c1b-9d1e-1f0e7e3c2a10
    state: absent
    connect: false
"""

RETURN = r"""
host_entity:
  description:
    - Name of the host's entity on the array after the task.
    - Null when there is none (O(state=absent) deleted it, or found none).
  returned: unless O(volumes) is given
  type: str
  sample: host01-nvme
lun:
  description:
    - LUN of the export (for NVMe, the namespace the host sees).
    - Null with O(state=absent), and in check mode before the export exists.
  returned: unless O(volumes) is given
  type: int
  sample: 1
mode:
  description: Protocol of the attach, V(nvme) or V(iscsi).
  returned: unless O(volumes) is given
  type: str
  sample: nvme
targets:
  description:
    - The target ports the host connects to. Empty with O(state=absent).
  returned: unless O(volumes) is given
  type: list
  elements: dict
  contains:
    address:
      description: IP address of the target port.
      type: str
      sample: 192.0.2.21
    port:
      description: TCP port, 4420 (NVMe/TCP) or 3260 (iSCSI).
      type: int
      sample: 4420
    qualified_name:
      description:
        - Qualified name of the target, the NVMe subsystem NQN of the export or the iSCSI name of the port.
        - Null for NVMe in check mode before the export exists.
      type: str
      sample: nqn.2020-07.com.hpe:4ea8e8b7-1a6c-4d57-8b5e-2c09a2ac1a40
device:
  description:
    - Block device of the volume on the host (a C(dm-*) device with iSCSI multipath).
    - Null with O(connect=false) and with O(state=absent).
  returned: unless O(volumes) is given
  type: str
  sample: /dev/nvme1n1
by_id:
  description:
    - The C(/dev/disk/by-id) link of the device, which names the volume on any host.
    - Null with O(connect=false) and with O(state=absent).
  returned: unless O(volumes) is given
  type: str
  sample: /dev/disk/by-id/nvme-eui.00021f6b0000000a2ac0000000000000
volumes:
  description:
    - One entry per item of O(volumes), in order. Each has what the task returns for one volume (RV(host_entity), RV(lun),
      RV(mode), RV(targets), RV(device), RV(by_id), C(changed) and C(diff)), plus C(item) (the item as given) and
      C(failed); a failed item has C(msg), and C(failed_step) and C(wsapi_error) where the failure has them.
  returned: when O(volumes) is given
  type: list
  elements: dict
  sample:
    - {host_entity: host01-nvme, lun: 2, mode: nvme, device: null, by_id: null, changed: true, failed: false,
       item: {uuid: 0c6f1d1e-8a47-4a39-9d55-3b0c1f6a2e11},
       targets: [{address: 192.0.2.21, port: 4420, qualified_name: "nqn.2020-07.com.hpe:4ea8e8b7-1a6c-4d57-8b5e-2c09a2ac1a40"}]}
"""

import socket

from ansible_collections.alletra.storage.plugins.module_utils.bulk import BulkForm, name_items, run_items
from ansible_collections.alletra.storage.plugins.module_utils.exports import (
    MODE_ISCSI,
    ExportReads,
    MODE_NVME,
    MODES,
    TARGET_PORTS,
    check_initiator,
    default_mode,
    delete_host,
    ensure_host,
    ensure_vlun,
    entity_export,
    entity_on_path,
    entity_name,
    find_host_entity,
    host_vluns,
    ip_address,
    lookup_host,
    port_pos,
    ready_targets,
    remove_vlun,
    targets_for,
    vlun_id,
)
from ansible_collections.alletra.storage.plugins.module_utils.module import ModuleFailure, Raced, result, run
from ansible_collections.alletra.storage.plugins.module_utils.pools import check_pool_name, find_pool
from ansible_collections.alletra.storage.plugins.module_utils.volumes import (
    VolumeReads,
    array_name,
    find_member,
    name_volume_item,
    volume_argument_spec,
)
from ansible_collections.alletra.storage.plugins.module_utils.wsapi import WsapiError

# The option that gives the host's initiator in each mode.
INITIATOR_FIELDS = {MODE_NVME: "nqn", MODE_ISCSI: "iqn"}
# The options an item of ``volumes`` takes (the volume); the host, the mode and the state are the task's.
ITEM_KEYS = ("name", "uuid", "volume_type", "content_type")


def open_connector(module, mode):
    """The host side of ``mode`` (module_utils/connector.py) with its support checked, and its error type.

    Imported here, not at the top: without it (or without host support) only connect: true fails.
    """
    try:
        from ansible_collections.alletra.storage.plugins.module_utils import connector
    except ImportError as err:
        raise ModuleFailure("connect: the host side of alletra.storage (module_utils/connector.py) is not available (%s); "
                            "set connect: false and give nqn or iqn to manage only the array side" % err,
                            failed_step="host support")
    try:
        host_connector = connector.new_connector(mode, module.run_command, timeout=module.params["device_timeout"])
        host_connector.check_support()
    except connector.ConnectorError as err:
        raise ModuleFailure("connect: %s" % err, failed_step="host support")
    return host_connector, connector.ConnectorError


class HostSide(object):
    """The managed host's side of an attach: the one place this module calls the connector.

    With connect: false there is no connector: the initiator is nqn or iqn, there is no device,
    and nothing runs on the host.
    """

    def __init__(self, module, mode):
        self.params = module.params
        self.mode = mode
        self.connector, self.error_type = None, ()
        if module.params["connect"]:
            self.connector, self.error_type = open_connector(module, mode)

    def call(self, step, method, *args, **kwargs):
        try:
            return getattr(self.connector, method)(*args, **kwargs)
        except self.error_type as err:
            raise ModuleFailure("%s: %s" % (step, err), failed_step=step)

    def initiator(self):
        """The host's NQN or IQN: the option, else (connect: true) what the host's file says."""
        given = self.params[INITIATOR_FIELDS[self.mode]]
        if given is not None or self.connector is None:
            return given
        return check_initiator(self.mode, self.call("read initiator", "initiator") or "", "the initiator of this host")

    def device(self, volume, wait=False):
        """{device, by_id} of the volume on the host (waited for with ``wait``), or None."""
        if self.connector is None or volume is None:
            return None
        key = dict(nguid=(volume.get("nguid") or "").lower()) if self.mode == MODE_NVME else dict(wwn=(volume.get("wwn") or "").lower())
        return self.call("find device", "find_device", wait=wait, **key)

    def connect(self, targets, initiator, volume):
        """Connect the host to the targets and wait for the volume's device."""
        if self.connector is None:
            return None
        self.call("connect", "connect", targets, initiator)
        return self.device(volume, wait=True)

    def refuse_in_use(self, device):
        """A device that is mounted or held (dm, LVM) is not removed; the message says where it is used."""
        if device is None:
            return
        users = self.call("check device users", "users", device["device"])
        if users:
            raise ModuleFailure("the volume is in use on this host as %s: %s; stop using it before removing the export" % (
                device["device"], ", ".join(str(user) for user in users)))

    def remove(self, device):
        if device is not None:
            self.call("remove device", "remove_device", device["device"])

    def disconnect(self, qualified_names):
        for qualified_name in qualified_names if self.connector is not None else []:
            self.call("disconnect", "disconnect", qualified_name)


def attach_view(host_entity, rule, device):
    """What the diff compares: the host's entity, the export's LUN, and the device on the host."""
    return dict(host_entity=host_entity, lun=(rule or {}).get("lun"), exported=rule is not None,
                device=(device or {}).get("device"))


def attach_result(before, after, mode, targets, device):
    return result(before, after, host_entity=after["host_entity"], lun=after["lun"], mode=mode, targets=targets,
                  device=(device or {}).get("device"), by_id=(device or {}).get("by_id"))


def refuse_shared(volume_name, entity, rules):
    """shared: false refuses a volume exported to any other host entity (or a host set or a port)."""
    others = sorted(set(rule.get("hostname") or "port %s" % port_pos(rule) for rule in rules
                        if not rule.get("active") and rule.get("hostname") != entity))
    if others:
        raise ModuleFailure("volume %r is exported to another host entity: %s; set shared: true to export it to %s as well" % (
            volume_name, ", ".join(others), entity))


def undo_attach(client, made):
    """Delete what a failed attach created (its export rule, then its host entity); say what was done."""
    if not (made["host"] or made["rule"]):
        return "this run created nothing on the array"
    undone, kept = [], ""
    try:
        if made["rule"]:
            remove_vlun(client, made["rule"])
            undone.append("export to %s" % made["rule"]["hostname"])
        if made["host"] and not host_vluns(client, made["host"]) and delete_host(client, made["host"]):
            undone.append("host entity %s" % made["host"]["name"])
        elif made["host"]:
            kept = "; host entity %s is kept: another run exported a volume to it meanwhile" % made["host"]["name"]
    except WsapiError as err:
        return "undoing what this run created failed too (%s): run the task again, or with state: absent" % err
    return "what this run created was deleted again (%s)%s" % (", ".join(undone) or "nothing", kept)


def attach(client, host_side, plan, volume, initiator, host, rule):
    """Create the host entity and the export where missing, then connect the host.

    A failure part-way deletes what this run created and names the step. Returns the entity, the
    export rule, the targets and the device.
    """
    mode = plan["mode"]
    made = dict(host=None, rule=None)
    step = "create host entity %s" % entity_name(plan["host_name"], mode)
    try:
        if host is None:
            host, created = ensure_host(client, plan["host_name"], mode, initiator)
            made["host"] = host if created else None
        step = "export %s to %s" % (volume["name"], host["name"])
        if rule is None:
            rule, created = ensure_vlun(client, volume["name"], host)
            made["rule"] = rule if created else None
        step = "read the targets"
        targets = targets_for(client, mode, plan["addresses"], rule)
        step = "connect this host to %s" % ", ".join(target["address"] for target in targets)
        device = host_side.connect(targets, initiator, volume)
    except Raced:
        raise  # the entity was deleted under this run, before it made anything to undo: run() starts again
    except (WsapiError, ModuleFailure) as err:
        raise ModuleFailure("attaching %s stopped at step '%s': %s; %s" % (volume["name"], step, err, undo_attach(client, made)),
                            failed_step=step, wsapi_error=getattr(err, "as_dict", dict)())
    return host, rule, targets, device


class AttachRun(object):
    """What the volumes of one run share: the client, the plan, the pool, the host side, the reads of
    the volumes and their vLUNs, and the host's one entity.

    The entity is looked up once: a live path of an export that shows the host's initiator names it
    without a read of every host; otherwise the hosts are read. It is created before the first export
    that needs it, and the detach that removes its last export rule deletes it.
    """

    def __init__(self, client, plan, pool, host_side, reads, exports):
        self.client, self.plan, self.pool, self.host_side = client, plan, pool, host_side
        self.reads, self.exports = reads, exports
        self.mode = plan["mode"]
        self.initiator = host_side.initiator()
        self.host = None
        self.looked_up = False
        self.rules = None
        self.removed = set()
        self.last_rule = None

    def entity(self, vluns, by_name):
        """The host's entity or None: by initiator, and with ``by_name`` else by ``<host_name>-<mode>``."""
        if not self.looked_up:
            self.host = entity_on_path(vluns, self.initiator)
            if self.host is None and by_name:
                self.host = lookup_host(self.client, self.plan["host_name"], self.mode, self.initiator)
            elif self.host is None:
                self.host = find_host_entity(self.client, self.initiator, self.mode)
            self.looked_up = True
        return self.host

    def forget_entity(self):
        """Look the entity up again when next asked (another run deleted the one this run found)."""
        self.host, self.looked_up, self.rules = None, False, None

    def leaves_none(self, rules):
        """Whether removing ``rules`` (after the rules this run removed) leaves the entity without exports."""
        if self.rules is None:
            self.rules = host_vluns(self.client, self.host)
        removing = self.removed | set(vlun_id(vlun) for vlun in rules)
        return all(vlun_id(vlun) in removing for vlun in self.rules)

    def detached(self, rules, rule, entity_gone):
        """Note the rules an item removed (or, in check mode, would remove), and whether the entity went with them."""
        self.removed.update(vlun_id(vlun) for vlun in rules)
        self.last_rule = rule or self.last_rule
        if entity_gone:
            self.host = None


def present(module, run):
    """Export the volume to the host's entity (and connect the host); everything is read and checked first."""
    volume = find_member(run.client, run.pool, module.name, reads=run.reads)
    if volume is None:
        raise ModuleFailure("%s: pool %r has no volume %r: create it first with alletra.storage.alletra_volume" % (
            "name" if module.params["name"] is not None else "uuid", run.pool["name"], module.name))
    if volume.get("stray"):
        raise ModuleFailure("volume %r was left outside pool %r by a run that stopped part-way: run "
                            "alletra.storage.alletra_volume for it first" % (module.name, run.pool["name"]))
    mode = run.mode
    vluns = run.exports.volume_vluns(volume["name"])
    host = run.entity(vluns, by_name=True)
    entity = host["name"] if host else entity_name(run.plan["host_name"], mode)
    rule = entity_export(vluns, entity) if host else None
    if not module.params["shared"]:
        refuse_shared(volume["name"], entity, vluns + run.exports.pool_exports(run.pool["name"]))
    # No ready target port (or none at the addresses asked for) is refused before anything changes.
    targets = targets_for(run.client, mode, run.plan["addresses"], rule)
    device = run.host_side.device(volume)
    before = attach_view(entity if host else None, rule, device)
    if module.check_mode:
        run.host = host or dict(name=entity)  # the volumes after this one find the entity it would create
        return attach_result(before, attach_view(entity, rule or dict(lun=None), device), mode, targets, device)
    try:
        run.host, rule, targets, device = attach(run.client, run.host_side, run.plan, volume, run.initiator, host, rule)
    except Raced:
        run.forget_entity()  # deleted under this run: the next attempt (of this volume) looks it up again
        raise
    return attach_result(before, attach_view(run.host["name"], rule, device), mode, targets, device)


def qualified_names(client, mode, rule):
    """The array's qualified names a host disconnects from once its last export is gone."""
    if mode == MODE_NVME:
        return [rule["Subsystem_NQN"]] if rule and rule.get("Subsystem_NQN") else []
    return sorted(set(port["iSCSIName"] for port in ready_targets(client, mode) if port.get("iSCSIName")))


def detach(client, host_side, host, rules, device, delete_entity, names):
    """Remove the device, then the export rules, then (last export gone) disconnect and delete the entity."""
    step = "remove the device"
    try:
        host_side.remove(device)
        for rule in rules:
            step = "remove the export of %s to %s (LUN %s)" % (rule["volumeName"], host["name"], rule["lun"])
            remove_vlun(client, rule)
        if delete_entity:
            step = "disconnect this host from %s" % ", ".join(names)
            host_side.disconnect(names)
            step = "delete host entity %s" % host["name"]
            return delete_host(client, host)
    except (WsapiError, ModuleFailure) as err:
        raise ModuleFailure("detaching stopped at step '%s': %s; run the task again to finish" % (step, err),
                            failed_step=step, wsapi_error=getattr(err, "as_dict", dict)())
    return False


def absent(module, run):
    """Remove the volume's exports to the host's entity (found by initiator only: never another host's)
    and delete the entity when it has no export left."""
    mode, host_side = run.mode, run.host_side
    volume = find_member(run.client, run.pool, module.name, reads=run.reads) if run.pool else None
    vluns = run.exports.volume_vluns(module.name) if volume else []
    host = run.entity(vluns, by_name=False)
    if host is None:
        return attach_result(attach_view(None, None, None), attach_view(None, None, None), mode, [], None)
    rules = [vlun for vlun in vluns if not vlun.get("active") and vlun.get("hostname") == host["name"]]
    rule = entity_export(vluns, host["name"])
    delete_entity = run.leaves_none(rules)
    device = host_side.device(volume)
    host_side.refuse_in_use(device)
    before = attach_view(host["name"], rule, device)
    after = attach_view(None if delete_entity else host["name"], None, None)
    if not module.check_mode and before != after:
        names = qualified_names(run.client, mode, rule or run.last_rule) if delete_entity and host_side.connector else []
        deleted = detach(run.client, host_side, host, rules, device, delete_entity, names)
        if delete_entity and not deleted:
            after["host_entity"] = host["name"]  # a parallel run exported another volume to it meanwhile
    run.detached(rules, rule, after["host_entity"] is None)
    return attach_result(before, after, mode, [], None)


def initiator_mode(params):
    """The mode asked for ("nvme/tcp" is nvme), else the one nqn or iqn alone implies; None: discovered.

    Checks the initiators given against their mode, and that connect: false has one.
    """
    mode = MODE_NVME if params["mode"] == "nvme/tcp" else params["mode"]
    given = [candidate for candidate in MODES if params[INITIATOR_FIELDS[candidate]] is not None]
    for candidate in given:
        field = INITIATOR_FIELDS[candidate]
        check_initiator(candidate, params[field], field)
        if mode not in (None, candidate):
            raise ModuleFailure("%s: an %s initiator does not go with mode %s; give %s instead" % (
                field, "NVMe" if candidate == MODE_NVME else "iSCSI", mode, INITIATOR_FIELDS[mode]))
    if mode is None and len(given) == 1:
        mode = given[0]
    if not params["connect"] and not (mode in given if mode else given):
        raise ModuleFailure("connect: with connect: false nothing runs on the host, so give its initiator: nqn (mode nvme) "
                            "or iqn (mode iscsi)")
    return mode


def check(params):
    """Every check that needs no request; returns the plan: mode (None: discovered), host_name, addresses."""
    check_pool_name(params["pool"])
    array_name(dict(naming="lxd"), params["name"], params["uuid"], params["volume_type"], params["content_type"])
    if params["device_timeout"] <= 0:
        raise ModuleFailure("device_timeout: must be a positive number of seconds, got %s" % params["device_timeout"])
    mode = initiator_mode(params)
    for address in params["targets"] or []:
        if ip_address(address) is None:
            raise ModuleFailure("targets: %r is not a bare IP address (no port, no name): the module connects to port %d "
                                "(NVMe/TCP) or %d (iSCSI)" % (address, TARGET_PORTS[MODE_NVME], TARGET_PORTS[MODE_ISCSI]))
    host_name = params["host_name"]
    if host_name is None:
        host_name = socket.gethostname().split(".")[0]
    # With the mode not known yet, the shortest suffix; the name is checked again once it is.
    entity_name(host_name, mode or MODE_NVME)
    return dict(mode=mode, host_name=host_name, addresses=params["targets"] or [])


def action(module, client, items, plan):
    params = module.params
    plan = dict(plan, mode=plan["mode"] or default_mode(client))
    entity_name(plan["host_name"], plan["mode"])
    host_side = HostSide(module, plan["mode"])
    pool = find_pool(client, params["pool"], required=params["state"] == "present")
    name_items(items, lambda item: name_volume_item(item, pool))
    names = [item.name for item in items] if pool else []
    reads, exports = VolumeReads(client, names), ExportReads(client, names, pool and pool["name"])
    run_state = AttachRun(client, plan, pool, host_side, reads, exports)
    step = present if params["state"] == "present" else absent
    return run_items(items, lambda item: step(item, run_state), (reads, exports))


def main():
    spec = volume_argument_spec()
    spec.update(
        mode=dict(type="str", choices=["nvme", "nvme/tcp", "iscsi"]),
        host_name=dict(type="str"),
        targets=dict(type="list", elements="str"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        shared=dict(type="bool", default=False),
        connect=dict(type="bool", default=True),
        nqn=dict(type="str"),
        iqn=dict(type="str"),
        device_timeout=dict(type="int", default=30),
    )
    form = BulkForm(spec, ITEM_KEYS, identity=("name", "uuid"), mutually_exclusive=[("name", "uuid")], required_one_of=[("name", "uuid")])
    module = form.new_module()
    items = form.items(module, check)
    # Every item has the task's mode, host and targets: their plan is the same.
    run(module, lambda client: action(module, client, items, items[0].checked))


if __name__ == "__main__":
    main()
