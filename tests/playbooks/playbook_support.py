# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""ansible-playbook runs of the playbook tests (array reads and failure checks are in tests/outcomes.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import sys

from outcomes import PlayResults

ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")


class Run(PlayResults):
    """One ansible-playbook run: its exit code, per-task results and stats."""

    def __init__(self, process, playbook_path, host="localhost"):
        self.rc = process.returncode
        self.stderr = process.stderr
        self.playbook_path = playbook_path
        try:
            self.report = json.loads(process.stdout)
        except ValueError:
            raise AssertionError("ansible-playbook printed no JSON (rc %s):\n%s\n%s" % (self.rc, process.stdout[-3000:], process.stderr[-3000:]))
        self.results = self.results_of(host)
        self.stats = self.report["stats"].get(host, {})

    def results_of(self, host):
        """(task name, result) of every task that ran on ``host``."""
        results = []
        for play in self.report["plays"]:
            for task in play["tasks"]:
                result = task["hosts"].get(host)
                if result is not None:
                    results.append((task["task"]["name"], result))
        return results

    def host(self, name):
        """The results and stats of another inventory host of the same run."""
        view = PlayResults()
        view.results = self.results_of(name)
        view.stats = self.report["stats"].get(name, {})
        return view

    def changed_tasks(self):
        """Names of the tasks that changed something, on any host."""
        return [name for host in self.report["stats"] for name, result in self.results_of(host) if result.get("changed")]

    def failures_by_host(self):
        return dict((host, stats.get("failures", 0)) for host, stats in self.report["stats"].items())
