"""Hosts: GET/POST /hosts, GET/PUT/DELETE /hosts/<name>. A host has paths of one protocol: FC WWNs,
iSCSI names or one NVMe NQN (kept in ``_fc``, ``_iscsi``, ``_nqn``)."""

import copy
import re

from .. import errors
from ..errors import EXPORTED_VLUN, HOST_IN_SET, INV_INPUT_DUP_PATH, WsapiError
from ..validation import check_members, check_name
from .common import PROTO_FC, PROTO_ISCSI, PROTO_NVME, public

# Body member naming a kind of path -> the record member that keeps those paths.
_PATH_FIELDS = {"FCWWNs": "_fc", "iSCSINames": "_iscsi", "NQN": "_nqn"}
PATH_ADD, PATH_REMOVE = 1, 2
CHAP_SET, CHAP_REMOVE = 1, 2
# A WWN as 16 hex digits, or as eight colon-separated pairs (50:01:43:80:23:1C:64:7A).
_WWN_RE = re.compile(r"[0-9A-Fa-f]{16}|[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){7}")


def _plain_wwn(wwn):
    """An FC WWN as the array stores and shows it: 16 upper-case hex digits, colons dropped (400/39 otherwise)."""
    if not _WWN_RE.fullmatch(wwn):
        # P3C createHost: INV_INPUT_WRONG_TYPE, "the length of WWN is not 16", "non-hexadecimal digit".
        raise errors.wrong_type(wwn)
    return wwn.replace(":", "").upper()


class Hosts:
    """Mixin of ArrayState: host records, their paths and CHAP settings."""

    HOST_CREATE = {"name": "str", "iSCSINames": "list[str]", "FCWWNs": "list[str]", "NQN": "str",
                   "transportType": "int", "persona": "int", "domain": "str", "forceTearDown": "bool",
                   "descriptors": "dict"}
    HOST_MODIFY = {"newName": "str", "pathOperation": "int", "FCWWNs": "list[str]", "iSCSINames": "list[str]",
                   "NQN": "str", "forcePathRemoval": "bool", "persona": "int", "descriptors": "dict",
                   "chapOperation": "int", "chapOperationMode": "int", "chapName": "str", "chapSecret": "str",
                   "chapSecretHex": "bool", "chapRemoveTargetOnly": "bool"}
    DESCRIPTORS = {"location": "str", "IPAddr": "str", "os": "str", "model": "str", "contact": "str",
                   "comment": "str"}

    # ------------------------------------------------------------------ helpers

    def _host(self, name):
        """The host called ``name``; 404/17 if there is none."""
        check_name(name, self.persona["name_max"])
        host = self.db["hosts"].get(name)
        if host is None:
            raise errors.not_found("host", name)
        return host

    @staticmethod
    def _host_protocol(host):
        """The protocol of a host's paths (PROTO_*), None while it has none."""
        if host["_fc"]:
            return PROTO_FC
        if host["_iscsi"]:
            return PROTO_ISCSI
        if host["_nqn"]:
            return PROTO_NVME
        return None

    @staticmethod
    def _host_view(host):
        """A host as GET /hosts shows it, with FCPaths, iSCSIPaths and NVMETCPPaths."""
        body = public(host)
        body["FCPaths"] = [{"wwn": wwn} for wwn in host["_fc"]]
        body["iSCSIPaths"] = [{"name": iqn} for iqn in host["_iscsi"]]
        body["NVMETCPPaths"] = [{"NQN": nqn} for nqn in host["_nqn"]]
        return body

    @staticmethod
    def _normalise_paths(body):
        """Return (kind, [paths]) of the initiators in a host body."""
        given = [key for key in ("FCWWNs", "iSCSINames", "NQN") if key in body]
        if len(given) > 1:
            raise errors.conflict(",".join(given))
        if not given:
            return None, []
        kind = given[0]
        paths = [body["NQN"]] if kind == "NQN" else list(body[kind])
        normalised = []
        for path in paths:
            if kind == "FCWWNs":
                path = _plain_wwn(path)
            elif not path:
                raise errors.empty_string(kind)
            if path in normalised:
                raise WsapiError(400, INV_INPUT_DUP_PATH, "invalid input: duplicate path", ref=path)
            normalised.append(path)
        return kind, normalised

    def _path_owner(self, path):
        """The host that has ``path`` (compared without case), or None."""
        for host in self.db["hosts"].values():
            if path.lower() in (item.lower() for item in host["_fc"] + host["_iscsi"] + host["_nqn"]):
                return host
        return None

    def _refuse_owned_paths(self, paths):
        """409/73 for a path some host already has (P3C createHost, modifyHost: EXISTENT_PATH)."""
        for path in paths:
            if self._path_owner(path) is not None:
                raise errors.path_exists(path)

    @staticmethod
    def _check_persona(body):
        """A host persona, when given, is 1..15."""
        if "persona" in body and not 1 <= body["persona"] <= 15:
            raise errors.bad_enum("persona")

    # ------------------------------------------------------------------ calls

    def create_host(self, body):
        """POST /hosts: create a host, with the paths of one protocol."""
        body = check_members(body, self.HOST_CREATE, required=("name",))
        name = check_name(body["name"], self.persona["name_max"])
        kind, paths = self._normalise_paths(body)
        self._check_persona(body)
        if "transportType" in body and body["transportType"] not in (1, 2):
            raise errors.bad_enum("transportType")
        if "descriptors" in body:
            check_members(body["descriptors"], self.DESCRIPTORS)
        self._check_domain(body.get("domain"))
        if name in self.db["hosts"]:
            raise errors.exists("host", name)
        self._refuse_owned_paths(paths)
        host = {"id": self._next_id("host"), "name": name, "persona": body.get("persona", 2),
                "initiatorChapEnabled": False, "targetChapEnabled": False,
                "_fc": paths if kind == "FCWWNs" else [], "_iscsi": paths if kind == "iSCSINames" else [],
                "_nqn": paths if kind == "NQN" else []}
        if kind == "NQN":
            host["transportType"] = body.get("transportType", 2)
        for member in ("domain", "descriptors"):
            if member in body:
                host[member] = copy.deepcopy(body[member])
        return self._created("hosts", host)

    def list_hosts(self, query=None):
        """GET /hosts: every host by id, or those ``?query=`` selects."""
        return self._listing("hosts", self._host_view, query)

    def get_host(self, name):
        """GET /hosts/<name>: one host."""
        return 200, self._host_view(self._host(name)), {}

    def modify_host(self, name, body):
        """PUT /hosts/<name>: add or remove paths, persona, descriptors, CHAP, new name."""
        # The body is checked before the host is looked up: a bad body to a missing host is still 400.
        body = check_members(body, self.HOST_MODIFY)
        kind, paths = self._normalise_paths(body)
        operation = self._check_host_change(body, kind)
        new_name = body.get("newName")
        if new_name is not None:
            check_name(new_name, self.persona["name_max"], "newName")
        host = self._host(name)
        if new_name is not None:
            self._check_new_name("hosts", "host", name, new_name, self.persona["name_max"])
        if operation is not None:
            self._change_paths(host, kind, paths, operation)
        if "persona" in body:
            host["persona"] = body["persona"]
        if "descriptors" in body:
            host.setdefault("descriptors", {}).update(body["descriptors"])
        self._change_chap(host, body)
        if new_name is not None and new_name != name:
            self._rename_host(host, new_name)
        self.dirty = True
        return 200, None, {}

    def _check_host_change(self, body, kind):
        """The checks of a host PUT before anything changes; returns its pathOperation (None without paths)."""
        operation = body.get("pathOperation")
        if not body:
            raise errors.one_required()
        if (kind is None) != (operation is None) or (body.get("forcePathRemoval") and operation != PATH_REMOVE):
            raise errors.one_required("pathOperation")
        if operation is not None and operation not in (PATH_ADD, PATH_REMOVE):
            raise errors.bad_enum("pathOperation")
        self._check_persona(body)
        if "chapOperation" in body and body["chapOperation"] not in (CHAP_SET, CHAP_REMOVE):
            raise errors.bad_enum("chapOperation")
        if "descriptors" in body:
            check_members(body["descriptors"], self.DESCRIPTORS)
        return operation

    def _change_paths(self, host, kind, paths, operation):
        """Add paths (same protocol only, none another host has) or remove paths the host has (404/80)."""
        field = _PATH_FIELDS[kind]
        if operation == PATH_ADD:
            self._refuse_owned_paths(paths)
            if any(host[other] for other in ("_fc", "_iscsi", "_nqn") if other != field):
                # One protocol per host, as at creation (FC with iSCSI: 400/44); an assumption (README).
                raise errors.conflict(kind)
            host[field].extend(paths)
            return
        lowered = [item.lower() for item in host[field]]
        for path in paths:
            if path.lower() not in lowered:
                raise errors.not_found("path", path)
        host[field] = [item for item in host[field] if item.lower() not in {p.lower() for p in paths}]

    @staticmethod
    def _change_chap(host, body):
        """chapOperation 1: enable initiator (mode 1) or target CHAP; 2: disable target (and initiator) CHAP."""
        if body.get("chapOperation") == CHAP_SET:
            mode = body.get("chapOperationMode", 1)
            host["initiatorChapEnabled" if mode == 1 else "targetChapEnabled"] = True
            if "chapName" in body:
                host["initiatorChapName" if mode == 1 else "targetChapName"] = body["chapName"]
        elif body.get("chapOperation") == CHAP_REMOVE:
            host["targetChapEnabled"] = False
            host.pop("targetChapName", None)
            if not body.get("chapRemoveTargetOnly"):
                host["initiatorChapEnabled"] = False
                host.pop("initiatorChapName", None)

    def _rename_host(self, host, new_name):
        """Rename a host, in the VLUN templates that export to it and the host sets that hold it."""
        old = host["name"]
        self._rekey("hosts", host, new_name)
        for tpl in self.db["vluns"]:
            if tpl.get("hostname") == old:
                tpl["hostname"] = new_name
        for hostset in self.db["hostsets"].values():
            hostset["setmembers"] = [new_name if item == old else item for item in hostset["setmembers"]]

    def delete_host(self, name):
        """DELETE /hosts/<name>: remove a host that has no VLUNs (409/26) and is in no host set (409/77)."""
        self._host(name)
        hostsets = self._sets_of("hostsets", name)
        if any(name in self._expand_hosts(tpl.get("hostname")) for tpl in self.db["vluns"]):
            raise WsapiError(409, EXPORTED_VLUN, "the host has exported VLUNs", ref=name)
        if hostsets:
            raise WsapiError(409, HOST_IN_SET, "the host is a member of a host set", ref=hostsets[0])
        del self.db["hosts"][name]
        self.dirty = True
        return 200, None, {}
