#!/usr/bin/env python3
"""Run a command against a fresh in-process WSAPI simulator.

Usage: with_sim.py [--fabric] [--seed-cpg NAME] [--task-seconds N] -- COMMAND [ARG...]

Starts ``alletra_sim.Simulator`` on 127.0.0.1 (a free port) with TLS from build/sim-tls, runs
COMMAND with the connection variables the modules read (the way AWX injects credentials):

    ALLETRA_WSAPI_URL  the array's base URL, https://127.0.0.1:<port> (no /api/v1)
    ALLETRA_USERNAME   ALLETRA_PASSWORD   ALLETRA_CA_PATH (the simulator's CA)
    ALLETRA_SIM_URL    the same base URL, for the /_sim control plane

then prints how many WSAPI sessions were left open, stops the simulator and exits with
COMMAND's exit code. Settings: SIM_USER (3paradm), SIM_PASSWORD, SIM_PERSONA (alletra-mp).

--fabric: the simulator keeps each volume's data in a sparse file (in a temporary folder), and
COMMAND runs with the emulated fabric of tests/fabric in front of it (its nvme, iscsiadm,
multipath and modprobe first on PATH, one emulated host whose NQN and IQN are in
ALLETRA_HOST_NQN and ALLETRA_HOST_IQN), so volumes attach as real loop devices. Afterwards
whatever is still attached is detached, and a device left behind is an error.
--seed-cpg NAME: a CPG of 4 TiB named NAME on the array (a real array has its CPGs).
--task-seconds N: how long each array task (a copy, a restore) runs (default 1).
"""

import argparse
import importlib.util
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import urllib.request

from alletra_sim import Simulator

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO_PASSWORD = "alletra-demo-Pa55"
FABRIC = os.path.join(ROOT, "tests", "fabric")
HOST_NQN = "nqn.2014-08.org.nvmexpress:uuid:0d3e5a1c-7b2f-4c8e-9a61-5f4b3c2d1e0f"
HOST_IQN = "iqn.1993-08.org.debian:01:alletra-demo"


def open_sessions(sim):
    context = ssl.create_default_context(cafile=sim.ca_path)
    with urllib.request.urlopen(sim.url + "/_sim/counters", context=context, timeout=10) as answer:
        return json.load(answer)["sessions_open"]


def sim_call(sim, method, path, body):
    context = ssl.create_default_context(cafile=sim.ca_path)
    request = urllib.request.Request(sim.url + path, method=method, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, context=context, timeout=10) as answer:
        return answer.read()


def fabric_env(sim, state):
    """The environment of COMMAND with the emulated fabric in front of ``sim``."""
    return dict(PATH=os.path.join(FABRIC, "bin") + os.pathsep + os.environ["PATH"], ALLETRA_FABRIC_SIM=sim.url,
                ALLETRA_FABRIC_CA=sim.ca_path, ALLETRA_FABRIC_STATE=state, ALLETRA_FABRIC_NQN=HOST_NQN,
                ALLETRA_FABRIC_IQN=HOST_IQN, ALLETRA_HOST_NQN=HOST_NQN, ALLETRA_HOST_IQN=HOST_IQN)


def unmount_fabric_devices(state):
    """Unmount what a failed COMMAND left mounted from the fabric's devices (newest first)."""
    try:
        with open(os.path.join(state, "fabric.json")) as handle:
            loops = set(device["loop"] for device in json.load(handle)["devices"])
    except (OSError, ValueError, KeyError):
        return
    with open("/proc/self/mounts") as handle:
        mounts = [line.split()[1] for line in handle if line.split()[0] in loops]
    for path in reversed(mounts):
        print("with_sim: unmounting %s, which the command left mounted" % path, flush=True)
        subprocess.call(["umount", path])


def fabric_cleanup(state):
    """Detach what the fabric still has; the devices it could not detach."""
    unmount_fabric_devices(state)
    spec = importlib.util.spec_from_file_location("fabric_tools", os.path.join(FABRIC, "fabric.py"))
    tools = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tools)
    return tools.cleanup(state)


def parse(argv):
    parser = argparse.ArgumentParser(usage=__doc__)
    parser.add_argument("--fabric", action="store_true")
    parser.add_argument("--seed-cpg")
    parser.add_argument("--task-seconds", type=float, default=1.0)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    options = parser.parse_args(argv)
    if options.command[:1] == ["--"]:
        options.command = options.command[1:]
    if not options.command:
        sys.exit(__doc__)
    return options


def main(argv):
    options = parse(argv)
    command = options.command
    scratch = tempfile.mkdtemp(prefix="alletra-demo-") if options.fabric else None
    sim = Simulator(
        host="127.0.0.1",
        port=0,
        tls_dir=os.path.join(ROOT, "build", "sim-tls"),
        user=os.environ.get("SIM_USER", "3paradm"),
        password=os.environ.get("SIM_PASSWORD", DEMO_PASSWORD),
        persona=os.environ.get("SIM_PERSONA", "alletra-mp"),
        data_dir=os.path.join(scratch, "sim-data") if scratch else None,
        task_seconds=options.task_seconds,
    )
    sim.start()
    left = []
    try:
        if options.seed_cpg:
            sim_call(sim, "POST", "/_sim/seed", {"cpgs": [{"name": options.seed_cpg, "capacityMiB": 4 * 1024 * 1024}]})
        env = dict(os.environ)
        env.update(
            ALLETRA_WSAPI_URL=sim.url,
            ALLETRA_USERNAME=sim.user,
            ALLETRA_PASSWORD=sim.password,
            ALLETRA_CA_PATH=sim.ca_path,
            ALLETRA_SIM_URL=sim.url,
        )
        if scratch:
            os.mkdir(os.path.join(scratch, "fabric"))
            env.update(fabric_env(sim, os.path.join(scratch, "fabric")))
        print("with_sim: simulator (%s) on %s, CA %s" % (os.environ.get("SIM_PERSONA", "alletra-mp"), sim.url, sim.ca_path), flush=True)
        try:
            returncode = subprocess.call(command, env=env)
        except KeyboardInterrupt:
            returncode = 130
        print("with_sim: sessions_open=%d after: %s" % (open_sessions(sim), " ".join(command)), flush=True)
    finally:
        if scratch:
            left = fabric_cleanup(os.path.join(scratch, "fabric"))
        sim.stop()
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)
    if left:
        print("with_sim: the fabric could not detach %s" % left, file=sys.stderr)
        return returncode or 1
    return returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
