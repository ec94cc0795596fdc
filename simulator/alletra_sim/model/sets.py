"""Volume sets and host sets: GET/POST /volumesets and /hostsets, GET/PUT/DELETE /<kind>/<name>.

Both kinds follow the same rules (``kind`` is the table name, "volumesets" or "hostsets"); a volume
set also takes POST /volumesets/<name> (createSnapshot) and the PUT copy actions 3 (resync), 4 (stop).
"""

import uuid

from .. import errors
from ..errors import EXPORTED_VLUN, MEMBER_NOT_IN_SET, WsapiError
from ..validation import check_members, check_name
from .common import COPY_PHYSICAL, public
from .snapshots import ACTION_BODY

# How a VLUN template names a set of each kind ("set:<name>" in this member).
_VLUN_FIELD = {"volumesets": "volumeName", "hostsets": "hostname"}
MEMBER_ADD, MEMBER_REMOVE, COPY_RESYNC, COPY_STOP = 1, 2, 3, 4
_COPY_ACTIONS = (COPY_RESYNC, COPY_STOP)


class Sets:
    """Mixin of ArrayState: sets of volumes and sets of hosts."""

    SET_CREATE = {"name": "str", "domain": "str", "comment": "str", "setmembers": "list[str]"}
    SET_MODIFY = {"action": "int", "newName": "str", "comment": "str", "flashCachePolicy": "int",
                  "setmembers": "list[str]"}

    # ------------------------------------------------------------------ helpers

    def _set(self, kind, name, lookup=False):
        """The set called ``name``; 404/102 if there is none (also for a name too long, on a ``lookup``)."""
        # A name too long for a set is 400/57 where it is given to be stored or changed (POST, PUT), but a
        # lookup (GET, DELETE) just finds no such set: P3C getVolumeSet, getHostSet, deleteVolumeSet and
        # deleteHostSet list only NON_EXISTENT_SET.
        limit = self.persona["set_name_max"]
        if lookup and isinstance(name, str) and len(name) > limit:
            raise errors.not_found("set", name)
        check_name(name, limit)
        item = self.db[kind].get(name)
        if item is None:
            raise errors.not_found("set", name)
        return item

    def _sets_of(self, kind, member):
        """Names of the sets of ``kind`` that hold ``member``."""
        return [item["name"] for item in self.db[kind].values() if member in item["setmembers"]]

    def _check_member_exists(self, kind, member):
        """A new member must exist: a volume for a volume set, a host for a host set."""
        if kind == "volumesets":
            self._vol(member)
        else:
            self._host(member)

    def _add_members(self, kind, members, wanted):
        """Append ``wanted`` to ``members``: each must exist and not be there yet (409/104)."""
        for member in wanted:
            self._check_member_exists(kind, member)
            if member in members:
                raise errors.member_in_set(member)
            members.append(member)

    @staticmethod
    def _remove_members(members, wanted):
        """Take ``wanted`` out of ``members``: each must be there (404/105)."""
        for member in wanted:
            if member not in members:
                raise WsapiError(404, MEMBER_NOT_IN_SET, "the object is not part of the set", ref=member)
            members.remove(member)

    @staticmethod
    def _set_view(item):
        """A set as GET shows it (no ``setmembers`` when empty)."""
        body = public(item)
        if not body["setmembers"]:
            del body["setmembers"]
        return body

    # ------------------------------------------------------------------ calls

    def list_sets(self, kind):
        """GET /volumesets, GET /hostsets: every set of a kind, by id."""
        return self._listing(kind, self._set_view)

    def get_set(self, kind, name):
        """GET /volumesets/<name>, GET /hostsets/<name>: one set."""
        return 200, self._set_view(self._set(kind, name, lookup=True)), {}

    def create_set(self, kind, body):
        """POST /volumesets, POST /hostsets: create a set (400/101 if the name is taken)."""
        body = check_members(body, self.SET_CREATE, required=("name",))
        name = check_name(body["name"], self.persona["set_name_max"])
        if name in self.db[kind]:
            raise errors.exists("set", name)
        self._check_domain(body.get("domain"))
        members = []
        self._add_members(kind, members, body.get("setmembers", []))
        return self._created(kind, self._new_set_record(kind, name, members, body))

    def _new_set_record(self, kind, name, members, body):
        """A new set record (not stored yet), with the ``comment`` and ``domain`` of ``body``."""
        item = {"id": self._next_id("set"), "uuid": str(uuid.uuid4()), "name": name, "setmembers": members}
        for member in ("comment", "domain"):
            if member in body:
                item[member] = body[member]
        if kind == "volumesets":
            item["qosEnabled"] = False
            item["flashCachePolicy"] = 2
        return item

    def _check_set_action(self, kind, body):
        """The ``action`` of a set PUT: add or remove members (with ``setmembers``), or a volume set's copy action."""
        if not body:
            raise errors.one_required()
        if "newName" in body and ("action" in body or "setmembers" in body):
            # P3C modifyVolumeSet, modifyHostSet: INV_INPUT_PARAM_CONFLICT, "parameters cannot be present at
            # the same time"; a rename goes alone, checked before any member is looked up.
            raise errors.conflict(",".join(key for key in ("newName", "action", "setmembers") if key in body))
        action = body.get("action")
        allowed = (MEMBER_ADD, MEMBER_REMOVE) + (_COPY_ACTIONS if kind == "volumesets" else ())
        if action is not None and action not in allowed:
            raise errors.bad_enum("action")
        if "setmembers" in body and action not in (MEMBER_ADD, MEMBER_REMOVE):
            raise errors.missing("action")
        if action in (MEMBER_ADD, MEMBER_REMOVE) and not body.get("setmembers"):
            raise errors.missing("setmembers")
        return action

    def modify_set(self, kind, name, body, user=None):
        """PUT /volumesets/<name>, PUT /hostsets/<name>: members, name, comment, flash cache policy, copy actions."""
        item = self._set(kind, name)
        body = check_members(body, self.SET_MODIFY)
        action = self._check_set_action(kind, body)
        new_name = body.get("newName")
        if new_name is not None:
            self._check_new_name(kind, "set", name, new_name, self.persona["set_name_max"])
        if action in _COPY_ACTIONS:                 # only a volume set gets here with one
            return self._set_copy_action(item, action, user)
        members = list(item["setmembers"])
        if action == MEMBER_ADD:
            self._add_members(kind, members, body["setmembers"])
        elif action == MEMBER_REMOVE:
            self._remove_members(members, body["setmembers"])
        if "flashCachePolicy" in body and body["flashCachePolicy"] not in (1, 2):
            raise errors.bad_enum("flashCachePolicy")
        item["setmembers"] = members
        for member in ("comment", "flashCachePolicy"):
            if member in body:
                item[member] = body[member]
        if new_name is not None and new_name != name:
            self._rename_set(kind, item, new_name)
        self.dirty = True
        return 200, None, {}

    def _rename_set(self, kind, item, new_name):
        """Rename a set, and the VLUN templates that export it."""
        field, old = _VLUN_FIELD[kind], item["name"]
        self._rekey(kind, item, new_name)
        for tpl in self.db["vluns"]:
            if tpl.get(field) == "set:" + old:
                tpl[field] = "set:" + new_name

    def delete_set(self, kind, name):
        """DELETE /volumesets/<name>, DELETE /hostsets/<name>: remove a set no VLUN exports (409/26 otherwise)."""
        self._set(kind, name, lookup=True)
        field = _VLUN_FIELD[kind]
        if any(tpl.get(field) == "set:" + name for tpl in self.db["vluns"]):
            raise WsapiError(409, EXPORTED_VLUN, "the set is exported", ref=name)
        del self.db[kind][name]
        self.dirty = True
        return 200, None, {}

    # ------------------------------------------------------------------ volume sets only

    def volumeset_action(self, name, body, user=None):
        """POST /volumesets/<name>: createSnapshot of every member (``@count@``, ``@vvname@`` in the name)."""
        item = self._set("volumesets", name)
        body = check_members(body, ACTION_BODY, required=("action", "parameters"))
        if body["action"] != "createSnapshot":
            raise errors.bad_enum("action")
        params = check_members(body["parameters"], self.SNAPSHOT_PARAMS, required=("name",))
        if not item["setmembers"]:
            raise errors.set_empty(name)
        pattern = params["name"]
        names = []
        for index, member in enumerate(item["setmembers"]):
            snap_name = pattern.replace("@count@", str(index)).replace("@vvname@", member)
            self._check_vol_name(snap_name)
            if snap_name in self.db["volumes"] or snap_name in names:
                raise errors.exists("volume", snap_name)
            names.append(snap_name)
        params.pop("id", None)
        for member, snap_name in zip(item["setmembers"], names):
            self._snapshot(self.db["volumes"][member], snap_name, params)
        self.dirty = True
        return 201, None, {"Location": "/api/v1/volumes/" + names[0]}

    def _set_copy_action(self, item, action, user):
        """Resync (3) or stop (4) the physical copy of every member, each as the volume action would."""
        members = [self.db["volumes"][member] for member in item["setmembers"]]
        if not members:
            raise errors.set_empty(item["name"])
        for vol in members:
            if vol["copyType"] != COPY_PHYSICAL or vol.get("copyOf") not in self.db["volumes"]:
                raise errors.not_physical_copy(vol["name"])
            if action == COPY_RESYNC:
                self._refuse_busy(vol)
        handler = self._resync_copy if action == COPY_RESYNC else self._stop_copy
        task_ids = []
        for vol in members:
            answer = handler(vol, {}, user)[1]
            if answer:
                task_ids.append(answer["taskid"])
        return 200, ({"taskids": task_ids} if task_ids else None), {}
