# -*- coding: utf-8 -*-
"""Benchmark callback: per task wall time and the simulator's counters, for benchmarks/bench.py (B2).

At each task's start it zeroes the simulator's counters and notes the time; at the task's end it
notes the time first, then reads the counters. The control-plane calls thus fall outside the
measured interval. Figures go, one JSON object a task, to the file in BENCH_TASKS_OUT.
An ``alletra_info`` task's record also counts what it returned (``returned``: the length of each list).
Settings come from the environment: BENCH_SIM_CONTROL (the simulator's /_sim URL),
BENCH_SIM_CA (its CA file), BENCH_TASKS_OUT.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: bench_tasks
type: aggregate
short_description: per task wall time and simulator counters (benchmarks only)
description:
  - Used by benchmarks/bench.py of this repository; not part of the collection.
"""

import json
import os
import time

import requests

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_tasks"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super(CallbackModule, self).__init__()
        self._control = os.environ["BENCH_SIM_CONTROL"]
        self._out = os.environ["BENCH_TASKS_OUT"]
        self._http = requests.Session()
        self._http.trust_env = False
        self._ca = os.environ["BENCH_SIM_CA"]
        self._task = None
        self._started = None
        self._items = 0

    def _admin(self, method, path):
        answer = self._http.request(method, self._control + path, timeout=30, verify=self._ca)
        answer.raise_for_status()
        return answer.json() if answer.content else None

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._admin("POST", "/counters/reset")
        self._task = task.get_name()
        self._items = 0
        self._started = time.monotonic()

    def v2_runner_item_on_ok(self, result):
        self._items += 1

    def _finish(self, result, status):
        seconds = time.monotonic() - self._started
        counters = self._admin("GET", "/counters")
        info = result._result.get("info")
        record = {"task": self._task, "status": status, "seconds": seconds, "items": self._items,
                  "changed": bool(result._result.get("changed")),
                  "requests": counters["requests_total"], "by_request": counters["requests"], "logins": counters["logins"],
                  "sessions_open": counters["sessions_open"],
                  # What an alletra_info task returned: the length of each list it gathered.
                  "returned": dict((key, len(value)) for key, value in info.items() if isinstance(value, list))
                  if isinstance(info, dict) else {}}
        with open(self._out, "a") as handle:
            handle.write(json.dumps(record) + "\n")

    def v2_runner_on_ok(self, result):
        self._finish(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._finish(result, "failed")
