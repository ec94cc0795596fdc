#!/usr/bin/env python3
"""Run a command against a fresh in-process WSAPI simulator.

Usage: with_sim.py -- COMMAND [ARG...]

Starts ``alletra_sim.Simulator`` on 127.0.0.1 (a free port) with TLS from build/sim-tls, runs
COMMAND with the connection variables the modules read (the way AWX injects credentials):

    ALLETRA_WSAPI_URL  the array's base URL, https://127.0.0.1:<port> (no /api/v1)
    ALLETRA_USERNAME   ALLETRA_PASSWORD   ALLETRA_CA_PATH (the simulator's CA)
    ALLETRA_SIM_URL    the same base URL, for the /_sim control plane

then prints how many WSAPI sessions were left open, stops the simulator and exits with
COMMAND's exit code. Settings: SIM_USER (3paradm), SIM_PASSWORD, SIM_PERSONA (alletra-mp).
"""

import json
import os
import ssl
import subprocess
import sys
import urllib.request

from alletra_sim import Simulator

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO_PASSWORD = "alletra-demo-Pa55"


def open_sessions(sim):
    context = ssl.create_default_context(cafile=sim.ca_path)
    with urllib.request.urlopen(sim.url + "/_sim/counters", context=context, timeout=10) as answer:
        return json.load(answer)["sessions_open"]


def main(argv):
    if len(argv) < 2 or argv[0] != "--":
        sys.exit(__doc__)
    command = argv[1:]
    sim = Simulator(
        host="127.0.0.1",
        port=0,
        tls_dir=os.path.join(ROOT, "build", "sim-tls"),
        user=os.environ.get("SIM_USER", "3paradm"),
        password=os.environ.get("SIM_PASSWORD", DEMO_PASSWORD),
        persona=os.environ.get("SIM_PERSONA", "alletra-mp"),
    )
    sim.start()
    try:
        env = dict(os.environ)
        env.update(
            ALLETRA_WSAPI_URL=sim.url,
            ALLETRA_USERNAME=sim.user,
            ALLETRA_PASSWORD=sim.password,
            ALLETRA_CA_PATH=sim.ca_path,
            ALLETRA_SIM_URL=sim.url,
        )
        print("with_sim: simulator (%s) on %s, CA %s" % (os.environ.get("SIM_PERSONA", "alletra-mp"), sim.url, sim.ca_path), flush=True)
        try:
            returncode = subprocess.call(command, env=env)
        except KeyboardInterrupt:
            returncode = 130
        print("with_sim: sessions_open=%d after: %s" % (open_sessions(sim), " ".join(command)), flush=True)
    finally:
        sim.stop()
    return returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
