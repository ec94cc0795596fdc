#!/usr/bin/env python3
"""Benchmarks of the collection against the simulator; figures go to benchmarks/results/ and benchmarks/results.md.

Usage: bench.py [--quick] [--out FILE] [--markdown FILE] [--suites modules,simulator,b1,b2,b3,b4] [--render]

* ``modules``: each scenario is one playbook run twice (create, then the idempotent re-run):
  wall time, WSAPI requests, logins and sessions left open, from the simulator's counters.
  Requests per task are what an array feels; the re-run shows what idempotence costs.
* ``simulator``: WSAPI requests per second the simulator serves (GET of a volume list, volume
  create and delete) from 1 and 4 client threads, so its own cost can be told apart in the above.
* ``b1`` (issue 13, B1): 300 create/get/delete volume cycles (``--quick`` 30) over verified HTTPS,
  this collection's ``WsapiClient`` against ``python-3parclient``, both in each run; the ratio.
* ``b2`` (issue 13, B2): per module, a looped create task and its no-op re-run in one
  ansible-playbook process, with ``ansible.builtin.ping`` in the same loop shape as the floor;
  requests, logins and sessions per call (callback_plugins/bench_tasks.py) and time as a
  multiple of the floor, checked against the issue's targets.
* ``b3`` (issue 13, B3): the lifecycle of a pool with 100 volumes (``--quick`` 10), 20 (4) of them
  attached across 2 hosts (``connect: false``), a snapshot each, then torn down, in the looped single
  form (``loop:``) and in the bulk form (``volumes:``); wall time, requests and sessions per phase,
  the array checked after the build and after the teardown; the ratio against the target (10).
* ``b4`` (issue 13, B4): ``alletra_info`` on a pool of 5,000 volumes (a snapshot of every 5th) seeded
  through ``POST /_sim/seed``, one task per subset between ping floors: requests (at most 3 reads per
  subset) and time, with what the simulator alone takes to list the volumes.

B1 to B4 run 3 times (``--quick`` once) and report medians; results.md gets the machine, the
versions, and their tables. Run through ``make bench`` (collection tree and venv in place). Nothing
here asserts a time: the figures are recorded, compared by reading.
"""

import argparse
import datetime
import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import requests
import yaml
from alletra_sim import Simulator

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS_TREE = os.environ.get("ANSIBLE_COLLECTIONS_PATH", os.path.join(ROOT, "build", "tree"))
sys.path.insert(0, COLLECTIONS_TREE.split(os.pathsep)[0])  # B1 imports this collection's WsapiClient
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


def playbook_env(sim):
    return dict(os.environ, ALLETRA_WSAPI_URL=sim.url, ALLETRA_USERNAME=USER, ALLETRA_PASSWORD=PASSWORD,
                ALLETRA_CA_PATH=sim.ca_path, ANSIBLE_PYTHON_INTERPRETER=sys.executable,
                ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_TREE)


def bench_modules(sim, admin, workdir, volumes):
    env = playbook_env(sim)
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


# -- B1: client, our WsapiClient vs python-3parclient --------------------------------------------
def median(values):
    return statistics.median(values) if values else None


def b1_ours(sim, cycles):
    from ansible_collections.alletra.storage.plugins.module_utils.wsapi import WsapiClient
    started = time.monotonic()
    with WsapiClient(sim.url, USER, PASSWORD, ca_path=sim.ca_path, timeout=30) as client:
        client.login()
        for number in range(cycles):
            name = "b1-ours-%d" % number
            client.request("POST", "/volumes", {"name": name, "cpg": "SSD_r6", "sizeMiB": 1024, "tpvv": True})
            volume = client.request("GET", "/volumes/" + name)
            assert volume["name"] == name, volume
            client.request("DELETE", "/volumes/" + name)
    return time.monotonic() - started


def b1_3parclient(sim, cycles):
    from hpe3parclient import client as hpe_client
    started = time.monotonic()
    array = hpe_client.HPE3ParClient(sim.api_url, secure=sim.ca_path)
    array.login(USER, PASSWORD)
    try:
        for number in range(cycles):
            name = "b1-3par-%d" % number
            array.createVolume(name, "SSD_r6", 1024, {"tpvv": True})
            volume = array.getVolume(name)
            assert volume["name"] == name, volume
            array.deleteVolume(name)
    finally:
        array.logout()
    return time.monotonic() - started


def bench_b1(sim, admin, cycles, runs):
    """Each run times both clients back to back (order alternating), so every ratio comes from one run."""
    clients = (("ours", b1_ours), ("python-3parclient", b1_3parclient))
    rows = dict((label, {"seconds": [], "requests": [], "sessions_open_after": []}) for label, _ in clients)
    ratios = []
    for run in range(runs):
        order = clients if run % 2 == 0 else tuple(reversed(clients))
        seconds = {}
        for label, function in order:
            admin.call("POST", "/counters/reset")
            seconds[label] = function(sim, cycles)
            counters = admin.call("GET", "/counters")
            rows[label]["seconds"].append(seconds[label])
            rows[label]["requests"].append(counters["requests_total"])
            rows[label]["sessions_open_after"].append(counters["sessions_open"])
        ratios.append(seconds["python-3parclient"] / seconds["ours"])
        print("bench: B1 run %d: ours %.2f s, python-3parclient %.2f s, ratio %.2f" % (
            run + 1, seconds["ours"], seconds["python-3parclient"], ratios[-1]), flush=True)
    figures = {"cycles": cycles, "runs": runs, "clients": {}, "ratio_3parclient_over_ours": {
        "median": round(median(ratios), 3), "each_run": [round(value, 3) for value in ratios]}}
    for label, row in rows.items():
        figures["clients"][label] = {
            "median_seconds": round(median(row["seconds"]), 3),
            "median_ms_per_cycle": round(1000.0 * median(row["seconds"]) / cycles, 2),
            "requests_per_cycle": round(median(row["requests"]) / float(cycles), 2),
            "sessions_open_after": max(row["sessions_open_after"]),
            "each_run_seconds": [round(value, 3) for value in row["seconds"]],
        }
    return figures


# -- B2: request economy and time per module call, against the Ansible floor ---------------------
B2_POOL = "b2-pool"
B2_NQN = "nqn.2014-08.org.nvmexpress:uuid:5b71928e-6d3b-4c1b-9d1e-1f0e7e3c2a10"
B2_BLOCK = {"volume_type": "custom", "content_type": "block"}
# A no-op: GET /api (the WSAPI version gate), login, the pool, one volume query, logout.
B2_TARGETS = {"requests": 4, "sessions_open": 0, "floor_multiple": 1.3}


def b2_modules(calls):
    """(label, module, arguments, loop items) in playbook order; each module runs twice: create, then no-op."""
    uuids = [volume_uuid(100 + number) for number in range(calls)]
    return [
        ("alletra_pool", "alletra.storage.alletra_pool", {"name": "{{ item }}", "cpg": "SSD_r6"},
         ["b2-pool-%d" % number for number in range(calls)]),
        ("alletra_volume", "alletra.storage.alletra_volume", dict(B2_BLOCK, pool=B2_POOL, uuid="{{ item }}", size="1GiB"), uuids),
        ("alletra_snapshot", "alletra.storage.alletra_snapshot", dict(B2_BLOCK, pool=B2_POOL, volume_uuid="{{ item }}", name="snap0"),
         uuids),
        ("alletra_host_attach", "alletra.storage.alletra_host_attach",
         dict(B2_BLOCK, pool=B2_POOL, uuid="{{ item }}", host_name="bench-host", nqn=B2_NQN, connect=False), uuids),
        ("alletra_info", "alletra.storage.alletra_info", {}, list(range(calls))),
    ]


def b2_tasks(calls):
    """The floor (ping) first and last, each module's create and no-op between, in one play."""
    def task(name, module, arguments, items):
        return {"name": name, module: dict(arguments), "loop": list(items)}

    floor = ["floor-%d" % number for number in range(calls)]
    tasks = [task("floor/start", "ansible.builtin.ping", {}, floor),
             task("setup", "alletra.storage.alletra_pool", {"name": B2_POOL, "cpg": "SSD_r6"}, [B2_POOL])]
    for label, module, arguments, items in b2_modules(calls):
        tasks.append(task(label + "/create", module, arguments, items))
        tasks.append(task(label + "/no-op", module, arguments, items))
    tasks.append(task("floor/end", "ansible.builtin.ping", {}, floor))
    return tasks


def request_kinds(by_request, calls):
    """{"METHOD /collection[/{name}...]": requests per call}: object names folded, the API prefix dropped."""
    kinds = {}
    for key, count in by_request.items():
        method, path = key.split(" ", 1)
        parts = [part for part in path.split("/") if part]
        if parts[:2] == ["api", "v1"]:
            parts = parts[2:]
        shape = "/".join(parts[:1] + ["{name}" if index % 2 == 0 else part for index, part in enumerate(parts[1:])])
        kind = "%s /%s" % (method, shape)
        kinds[kind] = kinds.get(kind, 0) + count
    return dict((kind, round(count / float(calls), 2)) for kind, count in sorted(kinds.items()))


def startup_cost(repeats):
    """Median ms a fresh interpreter spends importing what each module imports before its first request."""
    code = ("import time, sys; sys.path.insert(0, %r); t = time.perf_counter(); import %s; "
            "print(time.perf_counter() - t)")
    figures = {}
    for label, modules in (("wsapi module_utils", "ansible_collections.alletra.storage.plugins.module_utils.wsapi"),
                           ("module framework", "ansible_collections.alletra.storage.plugins.module_utils.module"),
                           ("AnsibleModule", "ansible.module_utils.basic")):
        seconds = [float(subprocess.run([sys.executable, "-c", code % (COLLECTIONS_TREE, modules)], capture_output=True,
                                        text=True, check=True).stdout) for _ in range(repeats)]
        figures[label] = round(1000 * median(seconds), 1)
    return figures


def measured_env(sim, out):
    """The environment of a playbook run whose tasks the bench_tasks callback measures into ``out``."""
    env = playbook_env(sim)
    env.update(ANSIBLE_CALLBACK_PLUGINS=os.path.join(ROOT, "benchmarks", "callback_plugins"),
               ANSIBLE_CALLBACKS_ENABLED="bench_tasks", BENCH_SIM_CONTROL=sim.url + "/_sim",
               BENCH_SIM_CA=sim.ca_path, BENCH_TASKS_OUT=out)
    return env


def run_measured(sim, workdir, label, tasks):
    """One play of ``tasks`` in one ansible-playbook process, each task measured: (seconds, task records)."""
    path = os.path.join(workdir, label + ".yml")
    with open(path, "w") as handle:
        yaml.safe_dump([{"name": label, "hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": tasks}],
                       handle, sort_keys=False)
    out = os.path.join(workdir, label + ".jsonl")
    seconds = run_playbook(path, measured_env(sim, out))
    with open(out) as handle:
        return seconds, [json.loads(line) for line in handle]


def bench_b2(sim, admin, workdir, calls, runs):
    samples = {}
    for run in range(runs):
        admin.call("POST", "/reset")
        admin.call("POST", "/seed", {"cpgs": [{"name": "SSD_r6", "capacityMiB": 4194304}]})
        seconds, records = run_measured(sim, workdir, "b2-run%d" % run, b2_tasks(calls))
        for record in records:
            if record["items"] != (1 if record["task"] == "setup" else calls):
                raise SystemExit("bench: B2 task %s ran %d items" % (record["task"], record["items"]))
            samples.setdefault(record["task"], []).append(record)
        floor = median([record["seconds"] / calls for record in records if record["task"].startswith("floor/")])
        print("bench: B2 run %d: %.1f s, floor %.0f ms per call" % (run + 1, seconds, 1000 * floor), flush=True)
    floor_runs = [median([samples["floor/start"][run]["seconds"], samples["floor/end"][run]["seconds"]]) / calls
                  for run in range(runs)]
    figures = {"calls_per_task": calls, "runs": runs, "targets": B2_TARGETS,
               "floor_ms_per_call": round(1000 * median(floor_runs), 1),
               "floor_each_run_ms": [round(1000 * value, 1) for value in floor_runs], "modules": []}
    for label, _, _, _ in b2_modules(calls):
        entry = {"module": label}
        for phase in ("create", "no-op"):
            records = samples[label + "/" + phase]
            per_call = [record["seconds"] / calls for record in records]
            multiples = [value / floor_runs[run] for run, value in enumerate(per_call)]
            entry[phase] = {
                "requests_per_call": round(median([record["requests"] for record in records]) / float(calls), 2),
                "logins_per_call": round(median([record["logins"] for record in records]) / float(calls), 2),
                "sessions_open_after": max(record["sessions_open"] for record in records),
                "changed": any(record["changed"] for record in records),
                "request_kinds": request_kinds(records[-1]["by_request"], calls),
                "ms_per_call": round(1000 * median(per_call), 1),
                "floor_multiple": round(median(multiples), 2),
            }
        figures["modules"].append(entry)
        print("bench: B2 %-20s create %5.1f req %6.0f ms %.2fx | no-op %5.1f req %6.0f ms %.2fx" % (
            label, entry["create"]["requests_per_call"], entry["create"]["ms_per_call"], entry["create"]["floor_multiple"],
            entry["no-op"]["requests_per_call"], entry["no-op"]["ms_per_call"], entry["no-op"]["floor_multiple"]), flush=True)
    figures["import_ms"] = startup_cost(5)
    return figures


# -- B3: the lifecycle of 100 volumes, looped single form against the bulk form ------------------
B3_POOL = "b3-pool"
B3_HOSTS = (("b3-host-a", "nqn.2014-08.org.nvmexpress:uuid:5b71928e-6d3b-4c1b-9d1e-00000000000a"),
            ("b3-host-b", "nqn.2014-08.org.nvmexpress:uuid:5b71928e-6d3b-4c1b-9d1e-00000000000b"))
B3_FORMS = ("looped", "bulk")
B3_PHASES = ("pool", "volumes", "attach", "snapshots", "detach", "delete snapshots", "delete volumes", "delete pool")
B3_TARGET_RATIO = 10
B3_FIGURES = ("seconds", "requests", "logins", "module_runs")
VOLUME_MODULE, SNAPSHOT_MODULE = "alletra.storage.alletra_volume", "alletra.storage.alletra_snapshot"
ATTACH_MODULE, POOL_MODULE = "alletra.storage.alletra_host_attach", "alletra.storage.alletra_pool"


def b3_step(form, phase, module, arguments, key, values):
    """One phase over some volumes (``key`` of each is one of ``values``): a task that loops the single form
    over them, or one task of the bulk form listing them in ``volumes``."""
    if form == "looped":
        return {"name": phase, module: dict(arguments, **{key: "{{ item }}"}), "loop": list(values)}
    return {"name": phase, module: dict(arguments, volumes=[{key: value} for value in values])}


def b3_lifecycle(form, volumes, attached):
    """(build, teardown): the tasks of the lifecycle in ``form``, each named by its phase. The first ``attached``
    volumes are attached, half to each host, with connect: false (the array side only)."""
    uuids = [volume_uuid(300 + number) for number in range(volumes)]
    share = attached // len(B3_HOSTS)
    volume = dict(B2_BLOCK, pool=B3_POOL)
    hosts = [(dict(volume, host_name=host, nqn=nqn, connect=False), uuids[index * share:(index + 1) * share])
             for index, (host, nqn) in enumerate(B3_HOSTS)]
    build = [{"name": "pool", POOL_MODULE: {"name": B3_POOL, "cpg": "SSD_r6"}},
             b3_step(form, "volumes", VOLUME_MODULE, dict(volume, size="1GiB"), "uuid", uuids)]
    build += [b3_step(form, "attach", ATTACH_MODULE, host, "uuid", group) for host, group in hosts]
    build.append(b3_step(form, "snapshots", SNAPSHOT_MODULE, dict(volume, name="snap0"), "volume_uuid", uuids))
    teardown = [b3_step(form, "detach", ATTACH_MODULE, dict(host, state="absent"), "uuid", group) for host, group in hosts]
    teardown += [b3_step(form, "delete snapshots", SNAPSHOT_MODULE, dict(volume, name="snap0", state="absent"), "volume_uuid", uuids),
                 b3_step(form, "delete volumes", VOLUME_MODULE, dict(volume, state="absent"), "uuid", uuids),
                 {"name": "delete pool", POOL_MODULE: {"name": B3_POOL, "state": "absent"}}]
    return build, teardown


def b3_check(admin, wanted):
    """The array holds what the lifecycle should have left: ``wanted`` volumes, snapshots, exports, hosts, pool."""
    state = admin.call("GET", "/state")
    snapshots = [volume for volume in state["volumes"].values() if volume["copyType"] == 3]
    members = state["volumesets"].get(B3_POOL, {}).get("setmembers", [])
    found = {"volumes": len(state["volumes"]) - len(snapshots), "snapshots": len(snapshots), "pool members": len(members),
             "exports": len(state["vlun_templates"]), "hosts": len(state["hosts"]), "pool": B3_POOL in state["volumesets"]}
    if found != wanted:
        raise SystemExit("bench: B3 left %s on the array where %s was expected" % (found, wanted))


def b3_form(sim, admin, workdir, form, volumes, attached, run):
    """One lifecycle in ``form`` on an empty array, checked after the build and after the teardown:
    the records of its tasks and the wall time of its two playbook processes."""
    admin.call("POST", "/reset")
    admin.call("POST", "/seed", {"cpgs": [{"name": "SSD_r6", "capacityMiB": 4194304}]})
    built = {"volumes": volumes, "snapshots": volumes, "pool members": volumes, "exports": attached,
             "hosts": len(B3_HOSTS), "pool": True}
    gone = dict((key, 0) for key in built)
    gone["pool"] = False
    records, wall = [], 0.0
    for part, tasks, wanted in zip(("build", "teardown"), b3_lifecycle(form, volumes, attached), (built, gone)):
        seconds, part_records = run_measured(sim, workdir, "b3-%s-%s-run%d" % (form, part, run), tasks)
        b3_check(admin, wanted)
        records += part_records
        wall += seconds
    return records, wall


def b3_summary(records, wall):
    """Seconds (of the tasks, as the callback times them), requests, logins and module runs per phase and in all."""
    phases = dict((phase, dict((figure, 0) for figure in B3_FIGURES)) for phase in B3_PHASES)
    for record in records:
        row = phases[record["task"]]
        row["seconds"] += record["seconds"]
        row["requests"] += record["requests"]
        row["logins"] += record["logins"]
        row["module_runs"] += record["items"] or 1
    total = dict((figure, sum(row[figure] for row in phases.values())) for figure in B3_FIGURES)
    total.update(sessions_open_after=max(record["sessions_open"] for record in records), playbook_seconds=wall)
    return {"phases": phases, "total": total}


def b3_medians(summaries):
    """The median of each figure over the runs, per phase and in all."""
    def medians(rows):
        return dict((figure, round(median([row[figure] for row in rows]), 3)) for figure in rows[0])

    return {"phases": dict((phase, medians([summary["phases"][phase] for summary in summaries])) for phase in B3_PHASES),
            "total": dict(medians([summary["total"] for summary in summaries]),
                          sessions_open_after=max(summary["total"]["sessions_open_after"] for summary in summaries),
                          each_run_seconds=[round(summary["total"]["seconds"], 2) for summary in summaries])}


def bench_b3(sim, admin, workdir, volumes, attached, runs):
    """Each run builds and tears down the lifecycle in both forms, one after the other (order alternating)."""
    summaries = dict((form, []) for form in B3_FORMS)
    ratios = []
    for run in range(runs):
        for form in (B3_FORMS if run % 2 == 0 else tuple(reversed(B3_FORMS))):
            summaries[form].append(b3_summary(*b3_form(sim, admin, workdir, form, volumes, attached, run)))
        looped, bulk = summaries["looped"][-1]["total"], summaries["bulk"][-1]["total"]
        ratios.append(looped["seconds"] / bulk["seconds"])
        print("bench: B3 run %d: looped %.1f s %d requests %d logins | bulk %.1f s %d requests %d logins | ratio %.1f" % (
            run + 1, looped["seconds"], looped["requests"], looped["logins"], bulk["seconds"], bulk["requests"],
            bulk["logins"], ratios[-1]), flush=True)
    return {"volumes": volumes, "attached": attached, "hosts": len(B3_HOSTS), "runs": runs, "target_ratio": B3_TARGET_RATIO,
            "ratio_looped_over_bulk": {"median": round(median(ratios), 2), "each_run": [round(value, 2) for value in ratios]},
            "forms": dict((form, b3_medians(rows)) for form, rows in summaries.items())}


# -- B4: alletra_info on a pool of 5,000 volumes --------------------------------------------------
B4_POOL = "b4-pool"
B4_SUBSETS = ("system", "wsapi", "cpgs", "pools", "lxd_pools", "volumes", "snapshots", "hosts", "vluns", "targets", "all")
B4_SNAPSHOT_EVERY = 5
B4_TARGET_READS = 3


def b4_names(volumes):
    """LXD names (custom block volumes) of the pool's volumes, and of a snapshot of every 5th: {snapshot: parent}."""
    names = ["u-%s-b" % volume_uuid(number).replace("-", "") for number in range(volumes)]
    snapshots = dict(("su-%s-b" % volume_uuid(10 ** 6 + number).replace("-", ""), names[number])
                     for number in range(0, volumes, B4_SNAPSHOT_EVERY))
    return names, snapshots


def b4_seed(admin, volumes):
    """The pool of ``volumes`` thin volumes (1 GiB), a snapshot of every 5th, seeded in one control-plane call."""
    names, snapshots = b4_names(volumes)
    body = {"cpgs": [{"name": "SSD_r6", "capacityMiB": 64 * 1024 * 1024}],
            "volumes": [{"name": name, "cpg": "SSD_r6", "sizeMiB": 1024, "comment": "alletra.storage:v1 pool=%s run=bench" % B4_POOL}
                        for name in names]
            + [{"name": name, "copyOf": parent, "comment": "alletra.storage:v1 snapshot=snap0 run=bench"}
               for name, parent in snapshots.items()],
            "volumesets": [{"name": B4_POOL, "comment": "alletra.storage:v1 cpg=SSD_r6 naming=lxd", "setmembers": names}]}
    started = time.monotonic()
    admin.call("POST", "/seed", body)
    return {"volumes": volumes, "snapshots": len(snapshots), "seed_seconds": round(time.monotonic() - started, 3)}


def b4_listing(sim, repeats):
    """What the simulator alone takes to answer GET /volumes with the whole array (median ms) and its size (MB)."""
    http, key = sim_session(sim)
    try:
        seconds, size = [], 0
        for _ in range(repeats):
            started = time.monotonic()
            answer = http.get(sim.api_url + "/volumes", timeout=60)
            answer.raise_for_status()
            size = len(answer.content)
            seconds.append(time.monotonic() - started)
    finally:
        end_session(sim, http, key)
    return {"ms": round(1000 * median(seconds), 1), "megabytes": round(size / 1e6, 2)}


def b4_direct(sim, workdir, subset, repeats):
    """alletra_info run as a plain script (``python alletra_info.py args.json``: a fresh interpreter, no
    ansible-playbook, no AnsiballZ): median ms and the size of the result it prints (MB)."""
    tree = COLLECTIONS_TREE.split(os.pathsep)[0]
    module = os.path.join(tree, "ansible_collections", "alletra", "storage", "plugins", "modules", "alletra_info.py")
    path = os.path.join(workdir, "b4-direct-args.json")
    with open(path, "w") as handle:
        json.dump({"ANSIBLE_MODULE_ARGS": {"gather_subset": [subset], "pool": B4_POOL, "wsapi_url": sim.url, "username": USER,
                                           "password": PASSWORD, "ca_path": sim.ca_path}}, handle)
    seconds = []
    for _ in range(repeats):
        started = time.monotonic()
        process = subprocess.run([sys.executable, module, path], env=dict(os.environ, PYTHONPATH=tree), capture_output=True,
                                 text=True, check=False)
        seconds.append(time.monotonic() - started)
        if process.returncode != 0:
            raise SystemExit("bench: B4 direct run of %s failed:\n%s" % (subset, process.stdout[-2000:]))
    os.remove(path)
    return {"ms": round(1000 * median(seconds), 1), "result_megabytes": round(len(process.stdout) / 1e6, 2)}


def b4_tasks(calls):
    """The floor (ping) first and last; between them a warm-up task (the first run of a module also builds its
    AnsiballZ payload), then one alletra_info task per subset, the pool given."""
    floor = {"ansible.builtin.ping": {}, "loop": list(range(calls))}
    tasks = [dict(floor, name="floor/start"),
             {"name": "warm-up", "alletra.storage.alletra_info": {"gather_subset": ["pools"], "pool": B4_POOL}}]
    tasks += [{"name": subset, "alletra.storage.alletra_info": {"gather_subset": [subset], "pool": B4_POOL}}
              for subset in B4_SUBSETS]
    return tasks + [dict(floor, name="floor/end")]


def b4_check(record, seeded):
    """A task's answer holds the whole pool: every volume, every snapshot (``returned`` counts its lists)."""
    returned = record.get("returned", {})
    for subset, wanted in (("volumes", seeded["volumes"]), ("snapshots", seeded["snapshots"])):
        if subset in returned and returned[subset] != wanted:
            raise SystemExit("bench: B4 %s returned %d %s, %d expected" % (record["task"], returned[subset], subset, wanted))


def bench_b4(sim, admin, workdir, volumes, calls, runs):
    seeded = b4_seed(admin, volumes)
    seeded["get_volumes"] = b4_listing(sim, 3)
    seeded["direct"] = dict((subset, b4_direct(sim, workdir, subset, 3)) for subset in ("system", "volumes"))
    samples, floors = dict((subset, []) for subset in B4_SUBSETS), []
    for run in range(runs):
        seconds, records = run_measured(sim, workdir, "b4-run%d" % run, b4_tasks(calls))
        floors.append(median([record["seconds"] / calls for record in records if record["task"].startswith("floor/")]))
        for record in records:
            if record["task"] in samples:
                b4_check(record, seeded)
                samples[record["task"]].append(record)
        print("bench: B4 run %d: %.1f s, floor %.0f ms, volumes %.2f s, all %.2f s" % (
            run + 1, seconds, 1000 * floors[-1], samples["volumes"][-1]["seconds"], samples["all"][-1]["seconds"]), flush=True)
    subsets = []
    for subset, records in samples.items():
        reads = [sum(count for kind, count in record["by_request"].items() if "/credentials" not in kind) for record in records]
        subsets.append({"subset": subset, "requests": median([record["requests"] for record in records]),
                        "reads": median(reads), "sessions_open_after": max(record["sessions_open"] for record in records),
                        "returned": records[-1].get("returned", {}), "request_kinds": request_kinds(records[-1]["by_request"], 1),
                        "ms": round(1000 * median([record["seconds"] for record in records]), 1),
                        "each_run_ms": [round(1000 * record["seconds"]) for record in records]})
    return dict(seeded, pool=B4_POOL, runs=runs, target_reads=B4_TARGET_READS, subsets=subsets,
                floor_ms_per_call=round(1000 * median(floors), 1), floor_each_run_ms=[round(1000 * value, 1) for value in floors])


def machine():
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass

    def version(distribution):
        try:
            return importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"

    return {"cpus": os.cpu_count(), "cpu_model": model, "load_average_at_start": [round(value, 2) for value in os.getloadavg()],
            "platform": platform.platform(), "python": platform.python_version(), "ansible_core": version("ansible-core"),
            "python_3parclient": version("python-3parclient")}


def verdict(met, why):
    return "met" if met else "**missed**: " + why


def results_markdown(result):
    """benchmarks/results.md: machine, versions, and each suite's tables with their targets."""
    lines = header_markdown(result)
    for section in (b1_markdown, b2_markdown, b3_markdown, b4_markdown):
        lines += section(result)
    return "\n".join(lines)


def header_markdown(result):
    """What ran, where, with which versions."""
    box = result["machine"]
    return ["# Benchmarks", "",
            "Written by `benchmarks/bench.py` (`make bench`%s) on %s. Figures are medians of several runs; every ratio"
            % (", --quick" if result["settings"]["quick"] else "", result["recorded"]),
            "and every multiple of the floor compares figures measured in the same run. The simulator runs in the",
            "benchmark's own process (TLS, verified against its CA), so its cost is in every figure: see the",
            "`simulator` suite in `benchmarks/results/latest.json` for its request rate.", "",
            "## Machine", "",
            "| | |", "|---|---|",
            "| CPUs | %d x %s |" % (box["cpus"], box["cpu_model"]),
            "| Load average at start (1, 5, 15 min) | %s |" % ", ".join("%.2f" % value for value in box["load_average_at_start"]),
            "| Load average at end (1, 5, 15 min) | %s |" % ", ".join("%.2f" % value for value in box.get("load_average_at_end", [])),
            "| Platform | %s |" % box["platform"],
            "| Python | %s |" % box["python"],
            "| ansible-core | %s |" % box["ansible_core"],
            "| python-3parclient | %s |" % box["python_3parclient"],
            "| Date | %s |" % result["recorded"], ""]


def b1_markdown(result):
    """B1: the two clients and their ratio."""
    box, b1, lines = result["machine"], result.get("b1"), []
    if b1:
        ratio = b1["ratio_3parclient_over_ours"]
        lines += ["## B1 client", "",
                  "%d create/get/delete volume cycles in one session over verified HTTPS, this collection's `WsapiClient`"
                  % b1["cycles"],
                  "against `python-3parclient` doing the same calls (createVolume with tpvv, getVolume, deleteVolume);",
                  "%d run(s), the two clients back to back in each run, their order alternating." % b1["runs"], "",
                  "| Client | Median total (s) | ms per cycle | WSAPI requests per cycle | Sessions open after | Each run (s) |",
                  "|---|---:|---:|---:|---:|---|"]
        for label, row in b1["clients"].items():
            lines.append("| %s | %.2f | %.2f | %.2f | %d | %s |" % (
                label, row["median_seconds"], row["median_ms_per_cycle"], row["requests_per_cycle"],
                row["sessions_open_after"], ", ".join("%.2f" % value for value in row["each_run_seconds"])))
        lines += ["", "Ratio python-3parclient / ours (time, same run): median **%.2f** (each run: %s). Above 1 means"
                  % (ratio["median"], ", ".join("%.2f" % value for value in ratio["each_run"])),
                  "this collection's client is faster. Both send the same requests (the table); python-3parclient %s"
                  % box["python_3parclient"],
                  "sends each one with `requests.request(...)` (hpe3parclient/http.py), so every request opens a new TCP",
                  "connection and TLS handshake, while `WsapiClient` keeps one HTTP/1.1 connection (`http.client`) and reuses it.",
                  ""]
    return lines


def b2_markdown(result):
    """B2: requests, sessions and time per module call against the floor and the targets."""
    b2, lines = result.get("b2"), []
    if b2:
        targets = b2["targets"]
        lines += ["## B2 request economy per module call", "",
                  "One `ansible-playbook` process per run (%d run(s)), connection local: each task loops %d times; each"
                  % (b2["runs"], b2["calls_per_task"]),
                  "module runs a create task and then the same task again (the no-op). The Ansible floor is",
                  "`ansible.builtin.ping` in the same loop shape, first and last in the same play; its median per call",
                  "in this run was **%.0f ms** (each run: %s ms). A callback (`benchmarks/callback_plugins/bench_tasks.py`)"
                  % (b2["floor_ms_per_call"], ", ".join("%.0f" % value for value in b2["floor_each_run_ms"])),
                  "zeroes the simulator's counters at each task's start and reads them at its end, outside the timed",
                  "interval. `alletra_info` changes nothing: its two rows are two reads (default subsets).", "",
                  "Targets: at most %d WSAPI requests for a no-op, %d sessions left open, time per call at most %.1fx the floor."
                  % (targets["requests"], targets["sessions_open"], targets["floor_multiple"]), "",
                  "| Module | Run | Changed | Requests per call | Logins per call | Sessions open after | ms per call | x floor |",
                  "|---|---|---|---:|---:|---:|---:|---:|"]
        for entry in b2["modules"]:
            for phase in ("create", "no-op"):
                row = entry[phase]
                lines.append("| %s | %s | %s | %.1f | %.1f | %d | %.0f | %.2f |" % (
                    entry["module"], phase, "yes" if row["changed"] else "no", row["requests_per_call"],
                    row["logins_per_call"], row["sessions_open_after"], row["ms_per_call"], row["floor_multiple"]))
        lines += ["", "### Against the targets", "",
                  "| Module | No-op requests <= %d | Sessions open = 0 | Time <= %.1fx floor (create / no-op) |"
                  % (targets["requests"], targets["floor_multiple"]), "|---|---|---|---|"]
        for entry in b2["modules"]:
            noop, create = entry["no-op"], entry["create"]
            requests_met = noop["requests_per_call"] <= targets["requests"]
            sessions_met = max(noop["sessions_open_after"], create["sessions_open_after"]) == 0
            worst = max(noop["floor_multiple"], create["floor_multiple"])
            lines.append("| %s | %s | %s | %s |" % (
                entry["module"],
                verdict(requests_met, "%.1f requests" % noop["requests_per_call"]),
                verdict(sessions_met, "%d open" % max(noop["sessions_open_after"], create["sessions_open_after"])),
                verdict(worst <= targets["floor_multiple"], "%.2fx / %.2fx" % (create["floor_multiple"], noop["floor_multiple"]))))
        lines += ["", "Why, where a target is missed:", ""] + b2_why(result) + [""]
    return lines


def b3_markdown(result):
    """B3: the lifecycle in both forms, per phase, and the ratio against its target."""
    b3 = result.get("b3")
    if not b3:
        return ["## B3 lifecycle", "", "Not measured in this run (`--suites`).", ""]
    ratio, forms = b3["ratio_looped_over_bulk"], b3["forms"]
    lines = ["## B3 lifecycle: looped single form against the bulk form", "",
             "A pool, %d volumes (1 GiB, thin), %d of them attached across %d hosts (`connect: false`: the array side),"
             % (b3["volumes"], b3["attached"], b3["hosts"]),
             "one snapshot each, then torn down: detach, delete the snapshots, the volumes, the pool. The looped form runs",
             "each phase as one task that loops the single form over the volumes (`loop:`, a module run per volume); the",
             "bulk form as one task with the `volumes:` list (attach and detach: one task per host). Each form runs in two",
             "`ansible-playbook` processes (build, teardown) on an empty array, checked after each; %d run(s), both forms"
             % b3["runs"],
             "in each run, their order alternating. Seconds are the tasks' own as the callback times them; the playbook",
             "column adds ansible-playbook's start-up. Logins are WSAPI sessions, one per module run.", "",
             "| Form | Module runs | Lifecycle (s) | Playbooks (s) | WSAPI requests | Logins | Sessions open after | Each run (s) |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    for form in B3_FORMS:
        total = forms[form]["total"]
        lines.append("| %s | %d | %.1f | %.1f | %d | %d | %d | %s |" % (
            form, total["module_runs"], total["seconds"], total["playbook_seconds"], total["requests"], total["logins"],
            total["sessions_open_after"], ", ".join("%.1f" % value for value in total["each_run_seconds"])))
    lines += ["", "| Phase | Looped (s) | Looped requests | Bulk (s) | Bulk requests | Looped / bulk (time) |",
              "|---|---:|---:|---:|---:|---:|"]
    for phase in B3_PHASES:
        looped, bulk = forms["looped"]["phases"][phase], forms["bulk"]["phases"][phase]
        lines.append("| %s | %.1f | %d | %.1f | %d | %.1f |" % (
            phase, looped["seconds"], looped["requests"], bulk["seconds"], bulk["requests"], looped["seconds"] / bulk["seconds"]))
    lines += ["", "Ratio looped / bulk (lifecycle time, same run): median **%.1f** (each run: %s). Target: at least %d: %s."
              % (ratio["median"], ", ".join("%.1f" % value for value in ratio["each_run"]), b3["target_ratio"],
                 verdict(ratio["median"] >= b3["target_ratio"], "%.1fx" % ratio["median"])), ""] + b3_why(result) + [""]
    return lines


def b3_why(result):
    """Where the lifecycle's time goes in each form, and why the target is missed if it is."""
    b3 = result["b3"]
    looped, bulk = b3["forms"]["looped"]["total"], b3["forms"]["bulk"]["total"]
    per_run = 1000 * looped["seconds"] / looped["module_runs"]
    text = ("Where the time goes: the looped form makes %d module runs at %.0f ms each on average, every one a fresh"
            " interpreter, AnsiballZ payload and WSAPI session, for %.1f requests each; the bulk form makes %d module runs"
            " and %d requests (%.1f per volume)." % (
                looped["module_runs"], per_run, looped["requests"] / float(looped["module_runs"]), bulk["module_runs"],
                bulk["requests"], bulk["requests"] / float(b3["volumes"])))
    if b3["ratio_looped_over_bulk"]["median"] < b3["target_ratio"]:
        text += (" Missed: the bulk form's %.1f s are its %d module runs at the looped form's cost per run (%.1f s) plus"
                 " %.1f s of requests and work on the array side." % (
                     bulk["seconds"], bulk["module_runs"], bulk["module_runs"] * per_run / 1000,
                     max(bulk["seconds"] - bulk["module_runs"] * per_run / 1000, 0)))
    return [text]


def b4_markdown(result):
    """B4: alletra_info per subset on the big pool, requests against the target, time against the floor."""
    b4 = result.get("b4")
    if not b4:
        return ["## B4 scale", "", "Not measured in this run (`--suites`).", ""]
    listing = b4["get_volumes"]
    lines = ["## B4 scale: alletra_info on a pool of %s volumes" % "{:,}".format(b4["volumes"]), "",
             "The pool: %s thin volumes of 1 GiB and a snapshot of every %dth (%s), seeded in one `POST /_sim/seed` (%.1f s)."
             % ("{:,}".format(b4["volumes"]), B4_SNAPSHOT_EVERY, "{:,}".format(b4["snapshots"]), b4["seed_seconds"]),
             "One `ansible-playbook` process per run (%d run(s)): one `alletra_info` task per subset with `pool: %s`, after"
             % (b4["runs"], b4["pool"]),
             "a warm-up task (a module's first run also builds its AnsiballZ payload), between the floor",
             "(`ansible.builtin.ping`, first and last: **%.0f ms** per call; each run: %s ms)."
             % (b4["floor_ms_per_call"], ", ".join("%.0f" % value for value in b4["floor_each_run_ms"])),
             "The simulator alone answers `GET /volumes` for the whole array (%s objects, %.1f MB) in %.0f ms (median of 3,"
             % ("{:,}".format(b4["volumes"] + b4["snapshots"]), listing["megabytes"], listing["ms"]),
             "a client of its own). Reads are the requests besides login and logout.", "",
             "Target: at most %d reads per subset." % b4["target_reads"], "",
             "| Subset | Requests | Reads | Returned | ms | ms above the floor | Sessions open after | Against the target |",
             "|---|---:|---:|---|---:|---:|---:|---|"]
    for row in b4["subsets"]:
        returned = ", ".join("%s: %d" % (key, count) for key, count in sorted(row["returned"].items())) or "-"
        target = (verdict(row["reads"] <= b4["target_reads"], "%d reads" % row["reads"]) if row["subset"] != "all"
                  else "n/a: every subset, one read per collection")
        lines.append("| %s | %d | %d | %s | %.0f | %.0f | %d | %s |" % (
            row["subset"], row["requests"], row["reads"], returned, row["ms"], row["ms"] - b4["floor_ms_per_call"],
            row["sessions_open_after"], target))
    return lines + [""] + b4_why(result) + [""]


def b4_why(result):
    """Where the time of the big subsets goes, and why a target is missed if one is."""
    b4 = result["b4"]
    rows = dict((row["subset"], row) for row in b4["subsets"])
    missed = [row for row in b4["subsets"] if row["subset"] != "all" and row["reads"] > b4["target_reads"]]
    lines = ["- %s: %d reads, %s." % (row["subset"], row["reads"], ", ".join(
        "%s x%g" % (kind, count) for kind, count in row["request_kinds"].items())) for row in missed]
    light = median([row["ms"] for row in b4["subsets"] if sum(row["returned"].values()) < 100])
    direct = b4["direct"]
    module_work = direct["volumes"]["ms"] - direct["system"]["ms"]
    lines.append(
        "- Time: through ansible-playbook `volumes` takes %.0f ms more than the median subset that returns little (%.0f ms)."
        " Run as a plain script (`python alletra_info.py args.json`: a fresh interpreter, no ansible-playbook), `system`"
        " takes %.0f ms and `volumes` %.0f ms, printing %.1f MB: the module's own work on %s volumes is %.0f ms, of which"
        " the simulator's answer to `GET /volumes` is about %.0f ms and the rest the module decoding %.1f MB of JSON,"
        " building the facts and the no_log scan of its result by `AnsibleModule.exit_json`. The other %.0f ms are"
        " ansible-playbook's: reading the module's %.1f MB result back, then its result processing and callbacks." % (
            rows["volumes"]["ms"] - light, light, direct["system"]["ms"], direct["volumes"]["ms"],
            direct["volumes"]["result_megabytes"], "{:,}".format(b4["volumes"]), module_work, b4["get_volumes"]["ms"],
            b4["get_volumes"]["megabytes"], max(rows["volumes"]["ms"] - light - module_work, 0),
            direct["volumes"]["result_megabytes"]))
    return lines


def b2_why(result):
    """Markdown lines that explain each missed B2 target from the figures of the same run."""
    b2, lines = result["b2"], []
    targets = b2["targets"]
    for entry in b2["modules"]:
        noop = entry["no-op"]
        if noop["requests_per_call"] > targets["requests"]:
            lines.append("- %s no-op: %.1f requests per call, %s. Login and logout take 2 of the %d, and `GET /api`, the"
                         " check of the array's WSAPI major version before the login (once per connection, issue 14), a third."
                         % (entry["module"], noop["requests_per_call"],
                            ", ".join("%s x%g" % (kind, count) for kind, count in noop["request_kinds"].items()),
                            targets["requests"]))
    slow = [(entry["module"], phase, entry[phase]) for entry in b2["modules"] for phase in ("create", "no-op")
            if entry[phase]["floor_multiple"] > targets["floor_multiple"]]
    if slow:
        worst = max(row["ms_per_call"] - b2["floor_ms_per_call"] for _, _, row in slow)
        most = max(row["requests_per_call"] for _, _, row in slow)
        imports = b2.get("import_ms", {})
        text = ("- Time: %d of %d module runs are above %.1fx the floor, by up to %.0f ms per call."
                % (len(slow), 2 * len(b2["modules"]), targets["floor_multiple"], worst))
        if result.get("b1"):
            per_request = result["b1"]["clients"]["ours"]["median_ms_per_cycle"] / result["b1"]["clients"]["ours"]["requests_per_cycle"]
            text += (" A WSAPI request costs about %.1f ms here (B1, same run), so even %.0f requests explain at most %.0f ms"
                     " of it." % (per_request, most, most * per_request))
        if imports:
            text += (" The rest is start-up that ping does not pay: in a fresh interpreter the collection's module"
                     " framework (`module_utils/module.py`: `AnsibleModule` and the stdlib `wsapi` client) imports in"
                     " %.0f ms, against %.0f ms for `AnsibleModule` alone, which ping also imports (`wsapi` alone: %.0f ms);"
                     " AnsiballZ also ships and unpacks a larger payload (the module and its module_utils). The floor itself"
                     " is mostly ansible-playbook's per-task work, so on this shared 2-CPU machine the multiple moves with"
                     " the load." % (imports.get("module framework", 0), imports.get("AnsibleModule", 0),
                                     imports.get("wsapi module_utils", 0)))
        lines.append(text)
    return lines or ["- None missed."]


SUITES = ("modules", "simulator", "b1", "b2", "b3", "b4")


def settings(quick, suites):
    """How much each suite does: ``--quick`` for a short run while developing, the issue's figures otherwise."""
    if quick:
        return {"volumes": 4, "task_seconds": 0.2, "quick": True, "b1_cycles": 30, "runs": 1, "b2_calls_per_task": 4,
                "b3_volumes": 10, "b3_attached": 4, "b4_volumes": 5000, "b4_floor_calls": 3, "suites": sorted(suites)}
    return {"volumes": 20, "task_seconds": 0.2, "quick": False, "b1_cycles": 300, "runs": 3, "b2_calls_per_task": 10,
            "b3_volumes": 100, "b3_attached": 20, "b4_volumes": 5000, "b4_floor_calls": 10, "suites": sorted(suites)}


def run_suites(sim, workdir, options, result):
    """Each suite asked for, in order, on the one simulator; their figures go into ``result``."""
    admin, suites = Admin(sim), result["settings"]["suites"]
    config = result["settings"]
    if "modules" in suites:
        result["modules"] = bench_modules(sim, admin, workdir, config["volumes"])
        admin.call("POST", "/reset")
    if "simulator" in suites:
        result["simulator"] = bench_simulator(sim, 1.0 if options.quick else 3.0)
    if "b1" in suites:
        admin.call("POST", "/reset")
        admin.call("POST", "/seed", {"cpgs": [{"name": "SSD_r6", "capacityMiB": 4194304}]})
        result["b1"] = bench_b1(sim, admin, config["b1_cycles"], config["runs"])
    if "b2" in suites:
        result["b2"] = bench_b2(sim, admin, workdir, config["b2_calls_per_task"], config["runs"])
    if "b3" in suites:
        result["b3"] = bench_b3(sim, admin, workdir, config["b3_volumes"], config["b3_attached"], config["runs"])
    if "b4" in suites:
        admin.call("POST", "/reset")
        result["b4"] = bench_b4(sim, admin, workdir, config["b4_volumes"], config["b4_floor_calls"], config["runs"])


def write_markdown(result, path):
    with open(path, "w") as handle:
        handle.write(results_markdown(result))
    print("bench: results written to %s" % os.path.relpath(path, ROOT))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer volumes, cycles and runs, shorter load runs")
    parser.add_argument("--out", default=os.path.join(ROOT, "benchmarks", "results", "latest.json"))
    parser.add_argument("--markdown", default=os.path.join(ROOT, "benchmarks", "results.md"))
    parser.add_argument("--suites", default=",".join(SUITES), help="comma-separated: " + ", ".join(SUITES))
    parser.add_argument("--render", action="store_true", help="only rewrite --markdown from the figures in --out")
    options = parser.parse_args()
    if options.render:
        with open(options.out) as handle:
            write_markdown(json.load(handle), options.markdown)
        return
    suites = set(options.suites.split(","))
    if suites - set(SUITES):
        parser.error("unknown suite(s): %s" % ", ".join(sorted(suites - set(SUITES))))
    result = {"recorded": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "machine": machine(), "settings": settings(options.quick, suites)}
    with tempfile.TemporaryDirectory() as workdir:
        sim = Simulator(host="127.0.0.1", port=0, tls_dir=os.path.join(workdir, "tls"), user=USER, password=PASSWORD,
                        task_seconds=0.2)
        sim.start()
        try:
            run_suites(sim, workdir, options, result)
        finally:
            sim.stop()
    result["machine"]["load_average_at_end"] = [round(value, 2) for value in os.getloadavg()]
    os.makedirs(os.path.dirname(options.out), exist_ok=True)
    with open(options.out, "w") as handle:
        json.dump(result, handle, indent=2)
        handle.write("\n")
    print("bench: figures written to %s" % os.path.relpath(options.out, ROOT))
    if suites & set(["b1", "b2", "b3", "b4"]):
        write_markdown(result, options.markdown)


if __name__ == "__main__":
    main()
