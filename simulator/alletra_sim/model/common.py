"""Constants and small helpers every resource module of the model uses."""

import copy
import time
from datetime import datetime, timezone

from ..query import compile_query

MIB_DEFAULT_CPG = 8 * 1024 * 1024          # 8 TiB
MIN_VOLUME_MIB = 256
MAX_LUN = 16383
NVME_MAX_LUN = 256
TASK_ACTIVE, TASK_DONE, TASK_CANCELLED = 2, 1, 3
TASK_VV_COPY, TASK_RESYNC, TASK_PROMOTE_SV, TASK_ONLINE_COPY, TASK_CONVERT_VV = 1, 2, 4, 18, 19
PROTO_FC, PROTO_ISCSI, PROTO_IP, PROTO_NVME = 1, 2, 4, 6
PROV_FULL, PROV_TPVV, PROV_SNP, PROV_TDVV = 1, 2, 3, 6
COPY_BASE, COPY_PHYSICAL, COPY_VIRTUAL = 1, 2, 3
VLUN_PORT, VLUN_HOST, VLUN_MATCHED_SET, VLUN_HOST_SET = 2, 3, 4, 5
RAW_FACTOR = 1.25                          # RAID 6 (8+2): raw MiB per usable MiB


def iso8601(epoch):
    """An epoch as volumes show times: ISO 8601, UTC, whole seconds."""
    return datetime.fromtimestamp(int(epoch), timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def task_time(epoch):
    """An epoch as tasks show times: ``2024-01-31 12:00:00 UTC``."""
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch))


_CONTAINERS = (dict, list)


def json_copy(value):
    """A deep copy of JSON-shaped data (dicts, lists, scalars), several times faster than copy.deepcopy:
    a listing of thousands of volumes copies each one."""
    if isinstance(value, dict):
        return {key: json_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_copy(item) for item in value]
    return value


def public(record):
    """A deep copy of ``record`` without its internal members (those starting with ``_``)."""
    return {key: json_copy(value) if isinstance(value, _CONTAINERS) else value
            for key, value in record.items() if key[:1] != "_"}


def collection(members):
    """The body of a list call: ``{total, members}``."""
    return {"total": len(members), "members": members}


def matching(views, query):
    """The views a ``?query=`` text selects (all of them without a query); 400/12 if it does not parse."""
    if query is None:
        return views
    predicate = compile_query(query)
    return [view for view in views if predicate(view)]


def port_key(pos):
    """A port position as ``node:slot:cardPort``."""
    return "%d:%d:%d" % (pos["node"], pos["slot"], pos["cardPort"])


def attach_copy(vol, source):
    """``vol`` becomes a physical copy of ``source``."""
    vol["copyType"] = COPY_PHYSICAL
    vol["copyOf"] = source["name"]
    vol["physParentId"] = source["id"]


def detach_copy(vol):
    """A physical copy that finished or stopped becomes an ordinary base volume (no parent any more)."""
    vol["copyType"] = COPY_BASE
    vol.pop("copyOf", None)
    vol.pop("physParentId", None)
