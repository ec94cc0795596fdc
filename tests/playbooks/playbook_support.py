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

    def __init__(self, process, playbook_path):
        self.rc = process.returncode
        self.stderr = process.stderr
        self.playbook_path = playbook_path
        try:
            self.report = json.loads(process.stdout)
        except ValueError:
            raise AssertionError("ansible-playbook printed no JSON (rc %s):\n%s\n%s" % (self.rc, process.stdout[-3000:], process.stderr[-3000:]))
        self.results = []
        for play in self.report["plays"]:
            for task in play["tasks"]:
                result = task["hosts"].get("localhost")
                if result is not None:
                    self.results.append((task["task"]["name"], result))
        self.stats = self.report["stats"].get("localhost", {})
