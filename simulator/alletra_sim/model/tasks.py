"""Background tasks (copies, resyncs, promotes, tunes): GET /tasks, GET/PUT /tasks/<id>.

Tasks progress in real time: each finishes ``task_seconds`` after it started, when the next request
(or GET /_sim/state, or stop) calls advance().
"""

import time

from .. import errors
from ..errors import INV_INPUT, ONLINE_COPY_IN_PROGRESS, VV_BUSY, WsapiError
from ..validation import check_members
from .common import TASK_ACTIVE, TASK_CANCELLED, TASK_DONE, TASK_ONLINE_COPY, detach_copy, public, task_time

# Task kinds that write a volume's data (the copy target, ``_dst``).
_DATA_KINDS = ("copy", "resync", "promote")


class Tasks:
    """Mixin of ArrayState: the task table and what finishing or cancelling a task does to its volumes."""

    def advance(self, now=None):
        """Finish every active task whose time has come (tasks progress in real time)."""
        now = time.time() if now is None else now
        for task in list(self.db["tasks"].values()):
            if task["status"] == TASK_ACTIVE and task["_due"] <= now:
                self._finish_task(task, now)

    def _new_task(self, task_type, name, user, priority, kind, src=None, dst=None, captured=None, **extra):
        """Start a task of ``kind`` from volume id ``src`` to ``dst``; ``extra`` are more (internal) members."""
        now = time.time()
        task_id = self._next_id("task")
        if task_id > 65535:
            self.db["next"]["task"] = 2
            task_id = 1
        task = {
            "id": task_id, "type": task_type, "name": name, "status": TASK_ACTIVE,
            "startTime": task_time(now), "finishTime": "-",
            "user": user or "3paradm",
            "_kind": kind, "_src": src, "_dst": dst, "_captured": captured, "_due": now + self.task_seconds,
            "_detail": ["%s Created task." % task_time(now)],
        }
        if priority:
            # Clients map 1-3 to high/med/low; a task created without one has no priority member.
            task["priority"] = priority
        task.update(extra)
        self.db["tasks"][str(task_id)] = task
        self.dirty = True
        return task

    def _end_task(self, task, status, now, detail):
        """Mark a task done or cancelled at ``now``, with one more line of detail."""
        task["status"] = status
        task["finishTime"] = task_time(now)
        task["_detail"].append("%s %s" % (task_time(now), detail))
        self.dirty = True

    def _finish_task(self, task, now):
        """A task ran to its end: the target holds the captured data (or the tune's changes)."""
        dst = self._vol_by_id(task["_dst"])
        if task["_kind"] in _DATA_KINDS and dst is not None:
            self.data.restore(dst, task["_captured"])
            if task["_kind"] != "promote":
                dst["_usedMiB"] = min(dst["sizeMiB"], task.get("_usedMiB", dst["_usedMiB"]))
                if task["type"] == TASK_ONLINE_COPY or not task.get("_save"):
                    detach_copy(dst)
        elif task["_kind"] == "tune" and dst is not None:
            dst.update(task["_changes"])
        self.data.release(task["_captured"])
        self._end_task(task, TASK_DONE, now, "Completed task.")

    def _cancel_task(self, task):
        """A task stopped half way: a copy target's data is neither old nor new, and it is no copy any more."""
        now = time.time()
        dst = self._vol_by_id(task["_dst"])
        if dst is not None and task["_kind"] in _DATA_KINDS:
            self.data.interrupt(dst)
            if task["_kind"] != "promote":
                detach_copy(dst)
        self.data.release(task["_captured"])
        self._end_task(task, TASK_CANCELLED, now, "Task cancelled.")

    def _busy_task(self, vol):
        """The active task that reads or writes ``vol``, or None."""
        for task in self.db["tasks"].values():
            if task["status"] == TASK_ACTIVE and vol["id"] in (task["_src"], task["_dst"]):
                return task
        return None

    def _refuse_busy(self, vol):
        """Refuse a change to a volume a task works on: 400/29 for an online copy, else 409/151."""
        task = self._busy_task(vol)
        if task is None:
            return
        if task["type"] == TASK_ONLINE_COPY:
            raise WsapiError(400, ONLINE_COPY_IN_PROGRESS, "online physical copy is in progress", ref=vol["name"])
        raise WsapiError(409, VV_BUSY, "volume is busy in a background task", ref=vol["name"])

    def _task_view(self, task, detail=False):
        """A task as GET /tasks shows it; ``detail`` adds its detailedStatus."""
        body = public(task)
        if detail:
            body["detailedStatus"] = "\n".join(task["_detail"])
        return body

    def list_tasks(self):
        """GET /tasks: every task, without detail."""
        return self._listing("tasks", self._task_view)

    def _task(self, task_id):
        """The task with id ``task_id`` (path text): 400 if not a number in 1..65535, 404/145 if no such task."""
        try:
            number = int(task_id)
        except ValueError:
            raise WsapiError(400, errors.INV_INPUT_WRONG_TYPE, "invalid input: task id is not an integer", ref="id")
        if number <= 0:
            raise errors.below_range("id")
        if number > 65535:
            raise errors.out_of_range("invalid input: exceeds range", "id")
        task = self.db["tasks"].get(str(number))
        if task is None:
            raise errors.not_found("task", str(number))
        return task

    def get_task(self, task_id, view=None):
        """GET /tasks/<id>: one task, with detail unless ``?view=excludeDetail``."""
        return 200, self._task_view(self._task(task_id), detail=view != "excludeDetail"), {}

    def modify_task(self, task_id, body):
        """PUT /tasks/<id>: cancel an active task (action 1)."""
        task = self._task(task_id)
        body = check_members(body, {"action": "int"}, required=("action",))
        if body["action"] != 1:
            raise errors.bad_enum("action")
        if task["status"] != TASK_ACTIVE:
            raise WsapiError(400, INV_INPUT, "task is not active", ref=str(task["id"]))
        self._cancel_task(task)
        return 200, None, {}
