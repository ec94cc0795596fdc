# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""docs/modules is what `make docs` makes from the collection tree's own documentation today."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import os
import re
import subprocess
import sys

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
COMMITTED = os.path.join(REPO, "docs", "modules")


def makefile_docs_options():
    """The options the Makefile's docs target gives antsibull-docs (one definition for both)."""
    with open(os.path.join(REPO, "Makefile")) as handle:
        found = re.search(r"^DOCS_OPTIONS := (.+)$", handle.read(), re.M)
    assert found, "the Makefile defines no DOCS_OPTIONS for its docs target"
    return found.group(1).split()


def pages(folder):
    return dict((name, open(os.path.join(folder, name)).read()) for name in sorted(os.listdir(folder)))


def test_module_pages_are_current(tmp_path):
    generated = tmp_path / "modules"
    generated.mkdir()
    # antsibull-docs asks ansible-doc (from PATH) for the collection's documentation.
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    assert "ANSIBLE_COLLECTIONS_PATH" in env  # tests/conftest.py: the collection tree
    command = [os.path.join(os.path.dirname(sys.executable), "antsibull-docs"), "collection"] + makefile_docs_options() + [
        "--dest-dir", str(generated), "alletra.storage"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    fresh, committed = pages(str(generated)), pages(COMMITTED)
    assert "alletra_volume_module.rst" in fresh and "index.rst" in fresh
    differences = []
    for name in sorted(set(fresh) | set(committed)):
        if fresh.get(name) != committed.get(name):
            differences.extend(difflib.unified_diff(committed.get(name, "").splitlines(), fresh.get(name, "").splitlines(),
                                                    "docs/modules/" + name, "generated/" + name, lineterm="", n=1))
    assert not differences, "docs/modules is not current: run make docs\n" + "\n".join(differences[:60])
