# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""A pool set up on the simulator exactly as LXD's ``alletra`` driver sets one up (shared/spec/lxd-alletra-driver.md
§1.3, §2, §4, §8), through the WSAPI calls LXD makes, with LXD's bodies: the volume set with LXD's comment,
thin volumes in the CPG without a comment, each added to the set, snapshots by ``createSnapshot`` without
``readOnly`` or a comment, named ``s`` + the volume name built from the snapshot's own UUID, a host entity
``<server>-nvme-tcp`` with LXD's comment, and a vLUN with ``autoLun``.

Used by the in-process tests (tests/unit/plugins/modules) and the playbook tests alike: ``make_lxd_pool(sim, sim_admin)``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from outcomes import Array

LXD_COMMENT = "Created and managed by LXD"
LXD_POOL = "lxdpool"
LXD_SERVER = "lxd01"
LXD_HOST = LXD_SERVER + "-nvme-tcp"
# LXD's NVMe host NQN is synthetic: the server's UUID.
LXD_SERVER_UUID = "7e1c9a52-3b0d-4f6e-8a21-5c4d3e2f1a09"
LXD_NQN = "nqn.2014-08.org.nvmexpress:uuid:" + LXD_SERVER_UUID

# (key, volume type, content type, UUID, size in MiB): a container, a VM (its block volume and its config
# filesystem volume share the UUID), a custom block volume and an image.
VOLUMES = (
    ("container", "container", "filesystem", "5a2504b0-6a6c-4849-8ee7-ddb0b674fd14", 1024),
    ("vm", "virtual-machine", "block", "0c6f1d1e-8a47-4a39-9d55-3b0c1f6a2e11", 1024),
    ("vm-config", "virtual-machine", "filesystem", "0c6f1d1e-8a47-4a39-9d55-3b0c1f6a2e11", 256),
    ("custom", "custom", "block", "9b3f6c1d-2e4a-4b5c-8d6e-7f8091a2b3c4", 512),
    ("image", "image", "filesystem", "1d2c3b4a-5f6e-4d7c-9b8a-0f1e2d3c4b5a", 512),
)
# (volume key, snapshot UUID): the container's snap0 and snap1, the custom volume's snap0. A VM snapshot
# snapshots both of its volumes with the one snapshot UUID.
SNAPSHOTS = (
    ("container", "aa000000-0000-4000-8000-000000000001"),
    ("container", "aa000000-0000-4000-8000-000000000002"),
    ("custom", "cc000000-0000-4000-8000-000000000001"),
    ("vm", "bb000000-0000-4000-8000-000000000001"),
    ("vm-config", "bb000000-0000-4000-8000-000000000001"),
)
CPG = "SSD_r6"


def lxd_name(volume_type, content_type, uuid, snapshot=False):
    """LXD's getVolumeName: [s]<type letter>-<uuid hex>[-b|-i]."""
    letters = {"container": "c", "virtual-machine": "v", "image": "i", "custom": "u"}
    suffixes = {"filesystem": "", "block": "-b", "iso": "-i"}
    return ("s" if snapshot else "") + letters[volume_type] + "-" + uuid.replace("-", "") + suffixes[content_type]


def make_lxd_pool(sim, sim_admin, pool=LXD_POOL, cpg=CPG):
    """Set the pool up through the WSAPI as LXD does; return what was made.

    Returns ``{pool, cpg, host, nqn, volumes: {key: {name, volume_type, content_type, uuid, size_mib}},
    snapshots: [{name, parent, uuid, volume_type, content_type}] (oldest first)}``. Each volume gets data
    (a simulated host write) before each of its snapshots and after the last, so that copies are traceable.
    """
    array = Array(sim)
    made = dict(pool=pool, cpg=cpg, host=LXD_HOST, nqn=LXD_NQN, volumes={}, snapshots=[])
    with array.client() as client:
        client.request("POST", "/volumesets", {"name": pool, "comment": LXD_COMMENT})
        for key, volume_type, content_type, uuid, size_mib in VOLUMES:
            name = lxd_name(volume_type, content_type, uuid)
            client.request("POST", "/volumes", {"name": name, "cpg": cpg, "sizeMiB": size_mib, "tpvv": True})
            client.request("PUT", "/volumesets/" + pool, {"action": 1, "setmembers": [name]})
            made["volumes"][key] = dict(name=name, volume_type=volume_type, content_type=content_type, uuid=uuid,
                                        size_mib=size_mib)
        for key, snapshot_uuid in SNAPSHOTS:
            volume = made["volumes"][key]
            sim_admin.write(volume["name"])
            name = lxd_name(volume["volume_type"], volume["content_type"], snapshot_uuid, snapshot=True)
            client.request("POST", "/volumes/" + volume["name"], {"action": "createSnapshot", "parameters": {"name": name}})
            made["snapshots"].append(dict(name=name, parent=volume["name"], uuid=snapshot_uuid,
                                          volume_type=volume["volume_type"], content_type=volume["content_type"]))
        for volume in made["volumes"].values():
            sim_admin.write(volume["name"])
        client.request("POST", "/hosts", {"name": LXD_HOST, "descriptors": {"comment": LXD_COMMENT},
                                          "NQN": LXD_NQN, "transportType": 2})
        client.request("POST", "/vluns", {"hostname": LXD_HOST, "volumeName": made["volumes"]["custom"]["name"],
                                          "lun": 0, "autoLun": True})
    return made
