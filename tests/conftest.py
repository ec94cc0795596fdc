# -*- coding: utf-8 -*-
# Copyright: (c) 2026, alletra.storage contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared by tests/unit and tests/playbooks.

* Imports: the collection is imported as ``ansible_collections.alletra.storage...`` from the
  collection tree that ``make tree`` builds: the first entry of ANSIBLE_COLLECTIONS_PATH, else
  build/tree (which is then exported for playbook runs too).
* ``sim``: a fresh in-process WSAPI simulator for each test (TLS, port 0).
* ``sim_admin``: calls the simulator's control plane (/_sim) to read or arrange its state.
* ``array``: reads the array through the WSAPI (``outcomes.Array``); ``cpg``: seeds SSD_r6.
* ``outcomes.py`` (importable by name from every test folder): play results, clean failures,
  array reads, data identity and marks.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import subprocess
import sys

import pytest

from outcomes import SimAdmin

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIM_USER = "3paradm"
SIM_PASSWORD = "alletra-test-Pa55"


def _collection_tree():
    configured = os.environ.get("ANSIBLE_COLLECTIONS_PATH")
    if configured:
        return configured.split(os.pathsep)[0]
    tree = os.path.join(REPO, "build", "tree")
    os.environ["ANSIBLE_COLLECTIONS_PATH"] = tree
    return tree


TREE = _collection_tree()
if not os.path.isdir(os.path.join(TREE, "ansible_collections", "alletra", "storage")):
    pytest.exit("no collection tree at %s: run `make tree` first" % TREE, returncode=2)
if TREE not in sys.path:
    sys.path.insert(0, TREE)


# How long the test simulator's array tasks take (see sim): shorter than the client's first poll (0.2 s).
TEST_TASK_SECONDS = 0.05


@pytest.fixture(scope="session")
def sim_tls_dir(tmp_path_factory):
    """One CA and server certificate for the whole run (each xdist worker has its own)."""
    return str(tmp_path_factory.mktemp("sim-tls"))


@pytest.fixture
def sim(sim_tls_dir, tmp_path):
    """A started simulator with an empty default array, keeping volume data in sparse files; stopped after the test.

    Its array tasks (copies, restores) take TEST_TASK_SECONDS, not the simulator's default second: done
    by the first poll, so a test waits for no task it does not make long itself (sim_admin.config).
    """
    from alletra_sim import Simulator

    simulator = Simulator(host="127.0.0.1", port=0, tls_dir=sim_tls_dir, user=SIM_USER, password=SIM_PASSWORD,
                          data_dir=str(tmp_path / "sim-data"), task_seconds=TEST_TASK_SECONDS)
    simulator.start()
    try:
        yield simulator
    finally:
        simulator.stop()


@pytest.fixture
def sim_admin(sim):
    admin = SimAdmin(sim)
    try:
        yield admin
    finally:
        admin.close()


@pytest.fixture
def array(sim):
    """Reads (and, for set-up, changes) the simulated array through the WSAPI itself."""
    from outcomes import Array

    return Array(sim)


@pytest.fixture
def cpg(sim_admin):
    """The CPG the examples and tests use, with room for a few TiB of thin volumes."""
    sim_admin.seed({"cpgs": [{"name": "SSD_r6", "capacityMiB": 4 * 1024 * 1024}]})
    return "SSD_r6"


FABRIC = os.path.join(REPO, "tests", "fabric")


@pytest.fixture
def fabric(sim, tmp_path, monkeypatch):
    """The emulated fabric (tests/fabric/README.md) in front of the test's simulator.

    Returns the environment a module run needs (PATH with the fabric's nvme, iscsiadm, multipath
    and modprobe first, and where the simulator is); it is also set in this process for
    in-process runs. Afterwards everything the fabric attached is detached, and the test fails
    if a loop device over the simulator's data or a link was left behind.
    """
    import importlib.util

    state = tmp_path / "fabric"
    state.mkdir()
    env = dict(PATH=os.path.join(FABRIC, "bin") + os.pathsep + os.environ["PATH"], ALLETRA_FABRIC_SIM=sim.url,
               ALLETRA_FABRIC_CA=sim.ca_path, ALLETRA_FABRIC_STATE=str(state))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    yield env
    spec = importlib.util.spec_from_file_location("fabric_tools", os.path.join(FABRIC, "fabric.py"))
    tools = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tools)
    kept = tools.cleanup(str(state))
    loops = subprocess.run(["losetup", "-a"], capture_output=True, text=True, check=False).stdout
    left = [line for line in loops.splitlines() if str(tmp_path) in line]
    assert not kept and not left, "the test left devices attached: %s %s" % (kept, left)


def leftovers(marker):
    """Loop devices over, and mounts in, folders under ``marker``: what tests left on this machine."""
    loops = subprocess.run(["losetup", "-a"], capture_output=True, text=True, check=False).stdout.splitlines()
    with open("/proc/self/mounts") as handle:
        mounts = [line for line in handle if marker in line]
    return [line for line in loops if marker in line] + mounts


def pytest_sessionfinish(session, exitstatus):
    """The whole run, as CI runs it, must leave no loop device, link target or mount behind."""
    if hasattr(session.config, "workerinput"):
        return  # an xdist worker: the controller checks once every worker is done
    # This run's temporary folders only (xdist workers' are below the controller's), so another
    # pytest run on the same machine is not taken for this one.
    left = leftovers(str(session.config._tmp_path_factory.getbasetemp()))  # pylint: disable=protected-access
    if left:
        session.config.pluginmanager.get_plugin("terminalreporter").write_line(
            "tests left these on the machine:\n  " + "\n  ".join(left), red=True)
        session.exitstatus = 1


# The slowest tests start first, so that the xdist workers end together: with --maxschedchunk 1
# (Makefile) a worker holds at most two tests ahead, and a 100-second test that starts last would
# leave the other worker idle for most of it. Then the fault matrix (marked slow), which mostly waits
# (late answers, array tasks): while `make test`'s checks keep the cores busy its waits cost nothing,
# after them they left the cores idle. Then the other playbook tests, and the rest; each group keeps
# its collection order.
SLOWEST = (
    "tests/playbooks/test_lifecycle_playbooks.py::test_attach_reconnect_detach_with_the_initiator_role",
    "tests/playbooks/test_awx.py::test_a_job_runs_as_awx_runs_it",
    "tests/playbooks/test_migrate.py::test_a_filesystem_volume_moves_with_its_snapshots_verified_and_its_progress_shown",
)


def _start_rank(item):
    if item.nodeid in SLOWEST:
        return SLOWEST.index(item.nodeid)
    if item.get_closest_marker("slow"):
        return len(SLOWEST)
    return len(SLOWEST) + (1 if item.nodeid.startswith("tests/playbooks/") else 2)


def pytest_collection_modifyitems(session, config, items):
    """Orders the run's items by _start_rank (a stable sort)."""
    items.sort(key=_start_rank)
