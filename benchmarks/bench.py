#!/usr/bin/env python3
"""Benchmarks of the collection against the simulator; figures go to benchmarks/results/.

Usage: bench.py [--quick] [--out FILE]

* ``modules``: each scenario is one playbook run twice (create, then the idempotent re-run):
  wall time, WSAPI requests, logins and sessions left open, from the simulator's counters.
  Requests per task are what an array feels; the re-run shows what idempotence costs.
* ``simulator``: WSAPI requests per second the simulator serves (GET of a volume list, volume
  create and delete) from 1 and 4 client threads, so its own cost can be told apart in the above.

Run through ``make bench`` (collection tree and venv in place). Nothing here asserts a time: the
figures are recorded, compared by reading.
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time

import requests
import yaml
from alletra_sim import Simulator

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
USER, PASSWORD = "3paradm", "bench-Pa55"
POOL = "bench-pool"
VM_UUID = "5a2504b0-6a6c-4849-8ee7-ddb0b674fd14"
COPY_UUID = "0c6f1d1e-8a47-4a39-9d55-3b0c1f6a2e11"


def volume_uuid(number):
    return "00000000-0000-4000-8000-%012d" % number


def scenarios(volumes):
    """(name, tasks) in the order they run; each builds on the array the previous ones left."""
    return [
        ("pool", [{"alletra.storage.alletra_pool": {"name": POOL, "cpg": "SSD_r6"}}]),
        ("volumes x%d" % volumes, [{
            "alletra.storage.alletra_volume": {"pool": POOL, "uuid": "{{ item }}", "size": "1GiB"},
            "loop": [volume_uuid(number) for number in range(volumes)],
        }]),
        ("vm volume + 3 snapshots", [
            {"alletra.storage.alletra_volume": {"pool": POOL, "uuid": VM_UUID, "volume_type": "virtual-machine",
                                                "content_type": "block", "size": "2GiB"}},
            {"alletra.storage.alletra_snapshot": {"pool": POOL, "volume_uuid": VM_UUID, "volume_type": "virtual-machine",
                                                  "content_type": "block", "name": "{{ item }}"},
             "loop": ["snap0", "snap1", "snap2"]},
        ]),
        ("copy with 3 snapshots", [{"alletra.storage.alletra_volume": {
            "pool": POOL, "uuid": COPY_UUID, "volume_type": "virtual-machine", "content_type": "block",
            "source": {"uuid": VM_UUID, "volume_type": "virtual-machine", "content_type": "block"},
            "copy_snapshots": True}}]),
        ("info, every subset", [{"alletra.storage.alletra_info": {"gather_subset": ["all"]}}]),
        ("pool absent, force", [{"alletra.storage.alletra_pool": {"name": POOL, "state": "absent", "force": True}}]),
    ]


class Admin(object):
    def __init__(self, sim):
        self.base = sim.url + "/_sim"
        self.http = requests.Session()
        self.http.trust_env = False
        self.http.verify = sim.ca_path

    def call(self, method, path, body=None):
        answer = self.http.request(method, self.base + path, json=body, timeout=30)
        answer.raise_for_status()
        return answer.json() if answer.content else None


def run_playbook(path, env):
    started = time.monotonic()
    process = subprocess.run([ANSIBLE_PLAYBOOK, "-i", "localhost,", path], env=env, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    if process.returncode != 0:
        raise SystemExit("bench: %s failed:\n%s\n%s" % (path, process.stdout[-3000:], process.stderr[-3000:]))
    return seconds


def bench_modules(sim, admin, workdir, volumes):
    env = dict(os.environ, ALLETRA_WSAPI_URL=sim.url, ALLETRA_USERNAME=USER, ALLETRA_PASSWORD=PASSWORD,
               ALLETRA_CA_PATH=sim.ca_path, ANSIBLE_PYTHON_INTERPRETER=sys.executable,
               ANSIBLE_COLLECTIONS_PATH=os.environ.get("ANSIBLE_COLLECTIONS_PATH", os.path.join(ROOT, "build", "tree")))
    figures = []
    for index, (name, tasks) in enumerate(scenarios(volumes)):
        path = os.path.join(workdir, "scenario%d.yml" % index)
        with open(path, "w") as handle:
            yaml.safe_dump([{"name": name, "hosts": "localhost", "connection": "local", "gather_facts": False,
                             "tasks": tasks}], handle, sort_keys=False)
        module_runs = sum(len(task.get("loop", [None])) for task in tasks)
        entry = {"scenario": name, "module_runs": module_runs}
        for run in ("first", "second"):
            admin.call("POST", "/counters/reset")
            seconds = run_playbook(path, env)
            counters = admin.call("GET", "/counters")
            entry[run] = {
                "seconds": round(seconds, 3),
                "wsapi_requests": counters["requests_total"],
                "wsapi_requests_per_module_run": round(counters["requests_total"] / float(module_runs), 1),
                "logins": counters["logins"],
                "sessions_open_after": counters["sessions_open"],
            }
        figures.append(entry)
        print("bench: %-26s first %6.2f s %4d requests | second %6.2f s %4d requests" % (
            name, entry["first"]["seconds"], entry["first"]["wsapi_requests"],
            entry["second"]["seconds"], entry["second"]["wsapi_requests"]), flush=True)
    return figures


def sim_session(sim):
    """A requests session logged in to the simulator: (session, key)."""
    http = requests.Session()
    http.trust_env = False
    http.verify = sim.ca_path
    key = http.post(sim.api_url + "/credentials", json={"user": USER, "password": PASSWORD}, timeout=10).json()["key"]
    http.headers["X-HP3PAR-WSAPI-SessionKey"] = key
    return http, key


def end_session(sim, http, key):
    http.delete(sim.api_url + "/credentials/" + key, timeout=10)
    http.close()


def operations_per_second(sim, operation, threads, seconds):
    """How often ``operation(http, worker, count)`` runs per second with ``threads`` clients for ``seconds``."""
    done = [0] * threads
    deadline = time.monotonic() + seconds

    def worker(number):
        http, key = sim_session(sim)
        try:
            while time.monotonic() < deadline:
                operation(http, number, done[number])
                done[number] += 1
        finally:
            end_session(sim, http, key)

    workers = [threading.Thread(target=worker, args=(number,)) for number in range(threads)]
    started = time.monotonic()
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    return sum(done) / (time.monotonic() - started)


def bench_simulator(sim, seconds):
    setup, setup_key = sim_session(sim)
    for number in range(50):
        setup.post(sim.api_url + "/volumes", json={"name": "list-%d" % number, "cpg": "SSD_r6", "sizeMiB": 1024, "tpvv": True},
                   timeout=10).raise_for_status()
    end_session(sim, setup, setup_key)

    def list_volumes(http, worker, count):
        http.get(sim.api_url + "/volumes", timeout=10).raise_for_status()

    def create_delete(http, worker, count):
        name = "cd-%d-%d" % (worker, count)
        http.post(sim.api_url + "/volumes", json={"name": name, "cpg": "SSD_r6", "sizeMiB": 1024, "tpvv": True},
                  timeout=10).raise_for_status()
        http.delete(sim.api_url + "/volumes/" + name, timeout=10).raise_for_status()

    figures = []
    for label, operation, requests_each in (("GET /volumes (50 volumes)", list_volumes, 1),
                                            ("POST + DELETE /volumes", create_delete, 2)):
        for threads in (1, 4):
            rate = operations_per_second(sim, operation, threads, seconds) * requests_each
            figures.append({"operation": label, "client_threads": threads, "requests_per_second": round(rate, 1)})
            print("bench: simulator %-26s %d thread(s) %7.1f requests/s" % (label, threads, rate), flush=True)
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer volumes and shorter load runs")
    parser.add_argument("--out", default=os.path.join(ROOT, "benchmarks", "results", "latest.json"))
    options = parser.parse_args()
    volumes = 4 if options.quick else 20
    with tempfile.TemporaryDirectory() as workdir:
        sim = Simulator(host="127.0.0.1", port=0, tls_dir=os.path.join(workdir, "tls"), user=USER, password=PASSWORD,
                        task_seconds=0.2)
        sim.start()
        try:
            admin = Admin(sim)
            modules = bench_modules(sim, admin, workdir, volumes)
            admin.call("POST", "/reset")
            simulator = bench_simulator(sim, 1.0 if options.quick else 3.0)
        finally:
            sim.stop()
    result = {
        "recorded": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "settings": {"volumes": volumes, "task_seconds": 0.2, "quick": options.quick},
        "modules": modules,
        "simulator": simulator,
    }
    os.makedirs(os.path.dirname(options.out), exist_ok=True)
    with open(options.out, "w") as handle:
        json.dump(result, handle, indent=2)
        handle.write("\n")
    print("bench: figures written to %s" % os.path.relpath(options.out, ROOT))


if __name__ == "__main__":
    main()
