"""The array: every object and every rule, without HTTP.

One module per resource, each a mixin; ArrayState combines them into the one state object the
simulator holds (as moto composes one backend from per-resource classes). All mixins work on the
same ``self.db``, the dict the state file stores, so a rule that spans resources (a host with
VLUNs cannot be deleted) reads the other tables directly and dump()/load() stay whole.

Each public method implements one WSAPI call and returns ``(status, body, headers)`` or raises
:class:`WsapiError`. The caller holds the simulator lock around every call.
"""

from ..data import VolumeData
from ..personas import persona_info
from .common import (COPY_BASE, COPY_PHYSICAL, COPY_VIRTUAL, MAX_LUN, MIB_DEFAULT_CPG, MIN_VOLUME_MIB,
                     NVME_MAX_LUN, PROTO_FC, PROTO_IP, PROTO_ISCSI, PROTO_NVME, PROV_FULL, PROV_SNP, PROV_TDVV,
                     PROV_TPVV, RAW_FACTOR, TASK_ACTIVE, TASK_CANCELLED, TASK_CONVERT_VV, TASK_DONE,
                     TASK_ONLINE_COPY, TASK_PROMOTE_SV, TASK_RESYNC, TASK_VV_COPY, VLUN_HOST, VLUN_HOST_SET,
                     VLUN_MATCHED_SET, VLUN_PORT)
from .cpgs import Cpgs
from .fabric import Fabric
from .hosts import Hosts
from .object_key_values import ObjectKeyValues
from .ports import Ports, default_ports
from .seeding import Seeding
from .sets import Sets
from .snapshots import Snapshots
from .system import System
from .tasks import Tasks
from .volumes import Volumes
from .vluns import Vluns


class ArrayState(System, Cpgs, Volumes, Snapshots, ObjectKeyValues, Tasks, Sets, Hosts, Ports, Vluns, Fabric, Seeding):
    """All objects of one simulated array."""

    def __init__(self, persona="alletra-mp", task_seconds=1.0, data_dir=None):
        """An array of ``persona``; each task takes ``task_seconds``; volume data files in ``data_dir`` (or none)."""
        persona_info(persona)
        self.task_seconds = task_seconds
        # A test switch (POST /_sim/config {api_major}): GET /api names this major version instead of the persona's.
        self.api_major = None
        self.data = VolumeData(data_dir)
        self.dirty = False
        self.db = {}
        self.reset(persona)


__all__ = [
    "ArrayState", "default_ports",
    "COPY_BASE", "COPY_PHYSICAL", "COPY_VIRTUAL", "MAX_LUN", "MIB_DEFAULT_CPG", "MIN_VOLUME_MIB", "NVME_MAX_LUN",
    "PROTO_FC", "PROTO_IP", "PROTO_ISCSI", "PROTO_NVME", "PROV_FULL", "PROV_SNP", "PROV_TDVV", "PROV_TPVV",
    "RAW_FACTOR",
    "TASK_ACTIVE", "TASK_CANCELLED", "TASK_CONVERT_VV", "TASK_DONE", "TASK_ONLINE_COPY", "TASK_PROMOTE_SV",
    "TASK_RESYNC", "TASK_VV_COPY", "VLUN_HOST", "VLUN_HOST_SET", "VLUN_MATCHED_SET", "VLUN_PORT",
]
