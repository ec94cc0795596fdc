# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection as AWX meets it (docs/awx.md).

* The execution environment: ``ansible-builder create`` makes the build context from the
  execution-environment.yml that docs/awx.md shows, then the build's own galaxy and introspection
  steps run here without a container, and the collection's requirements.txt and bindep.txt must
  come out merged through meta/execution-environment.yml.
* A job: ansible-runner (the engine AWX runs jobs with) runs a playbook from a private data
  directory laid out as AWX lays it out, with the custom credential type of docs/awx.md applied as
  AWX applies it (environment variables, and the CA certificate as a file), against the simulator
  with TLS verified, and the collection taken from that EE build.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
import types

import pytest
import yaml

# The job's playbook, relative to the project: the whole flow, attaching through the emulated fabric.
# This is also the test of lifecycle.yml itself (its summary's checksums are checked below).
PLAYBOOK = "playbooks/lifecycle.yml"

# The job template's extra variables (LXD-named), plus the host side's folders in the test's own.
# No initiator role (it would install packages on this machine), the host's NQN given (this
# machine has no /etc/nvme/hostnqn), and xfs: ext4 cannot be grown online on this machine's loop
# devices.
EXTRA_VARS = {
    "alletra_pool": "awx-pool",
    "alletra_cpg": "SSD_r6",
    "alletra_mode": "nvme/tcp",
    "block_filesystem": "xfs",
    "alletra_initiator_setup": False,
    "alletra_host_nqn": "nqn.2014-08.org.nvmexpress:uuid:5b71928e-0000-4000-8000-0000000a0001",
}

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOC = os.path.join(REPO, "docs", "awx.md")
COLLECTION = os.path.join(os.environ["ANSIBLE_COLLECTIONS_PATH"].split(os.pathsep)[0], "ansible_collections", "alletra", "storage")
BIN = os.path.dirname(sys.executable)
# Where the EE build installs collections (ansible-builder's constants.base_collections_path).
EE_COLLECTIONS = "/usr/share/ansible/collections"
FAILED_EVENTS = ("runner_on_failed", "runner_on_unreachable", "runner_item_on_failed", "runner_on_async_failed")
RESULT_EVENTS = FAILED_EVENTS + ("runner_on_ok", "runner_on_skipped")
# What AWX accepts in a credential type's input fields, and as a field id or variable name.
FIELD_KEYS = {"id", "label", "type", "help_text", "secret", "multiline", "format", "choices", "default", "ask_at_runtime"}
NAME = re.compile(r"^[a-zA-Z_]+[a-zA-Z0-9_]*$")


def doc_yaml(heading):
    """The first ```yaml block under the heading ``heading`` of docs/awx.md, as text."""
    with open(DOC) as handle:
        lines = handle.read().splitlines()
    under, fence, block = False, None, []
    for line in lines:
        if fence is None and line.startswith("```"):
            fence = line[3:]
        elif fence is not None and line == "```":
            if under and fence == "yaml":
                return "\n".join(block) + "\n"
            fence, block = None, []
        elif fence is not None:
            block.append(line)
        elif line.startswith("#"):
            under = line.lstrip("#").strip() == heading
    raise AssertionError("docs/awx.md has no ```yaml block under the heading %r" % heading)


# -- the execution environment --------------------------------------------------------------------

@pytest.fixture(scope="module")
def ee_build(tmp_path_factory):
    """The EE of docs/awx.md: its context from ``ansible-builder create``, and the galaxy stage run here.

    Returns (context folder, Containerfile text, the folder that stands for the image's
    /usr/share/ansible/collections).
    """
    root = tmp_path_factory.mktemp("ee")
    run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", COLLECTION, "--output-path", str(root / "dist")])
    [tarball] = os.listdir(str(root / "dist"))
    definition = root / "alletra-ee"
    definition.mkdir()
    # docs/awx.md: cp build/dist/alletra-storage-*.tar.gz alletra-ee/alletra-storage.tar.gz
    shutil.copy(str(root / "dist" / tarball), str(definition / "alletra-storage.tar.gz"))
    (definition / "execution-environment.yml").write_text(doc_yaml("execution-environment.yml"))
    context = root / "context"
    run([os.path.join(BIN, "ansible-builder"), "create", "--file", "execution-environment.yml", "--context", str(context),
         "--output-filename", "Containerfile"], cwd=str(definition))
    containerfile = (context / "Containerfile").read_text()
    collections = root / "image" / EE_COLLECTIONS.lstrip("/")
    # The galaxy stage: COPY _build /build, WORKDIR /build, then its ansible-galaxy line. There is
    # no Galaxy here: --offline --no-deps (the job below takes the dependencies from the tree).
    command = build_step(containerfile, "ansible-galaxy collection install", {
        "$ANSIBLE_GALAXY_CLI_COLLECTION_OPTS": "--offline --no-deps", EE_COLLECTIONS: str(collections)})
    run(["bash", "-c", command], cwd=str(context / "_build"))
    assert (collections / "ansible_collections" / "alletra" / "storage" / "MANIFEST.json").is_file()
    return context, containerfile, collections


def build_step(containerfile, words, replacements):
    """The RUN line of the Containerfile that contains ``words``, with the image's paths replaced."""
    [line] = [line for line in containerfile.splitlines() if line.startswith("RUN ") and words in line]
    command = line[len("RUN "):]
    for old, new in replacements.items():
        command = command.replace(old, new)
    return command


def run(command, cwd=None):
    """A build step, in an environment without this run's Ansible settings, as in the image build.

    (With ANSIBLE_COLLECTIONS_PATH set to the tree, ansible-galaxy would find alletra.storage
    installed already and install nothing.)
    """
    environment = dict((name, value) for name, value in os.environ.items() if not name.startswith("ANSIBLE_"))
    environment["PATH"] = BIN + os.pathsep + os.environ["PATH"]
    done = subprocess.run(command, cwd=cwd, env=environment, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, "%s failed (rc %s):\n%s\n%s" % (command, done.returncode, done.stdout[-3000:], done.stderr[-3000:])
    return done.stdout


def requirement_lines(path):
    """The requirement lines of a requirements.txt or bindep.txt, without comments."""
    with open(path) as handle:
        return [line.split("#")[0].strip() for line in handle if line.split("#")[0].strip()]


def test_the_ee_build_merges_the_collections_requirements(ee_build, tmp_path):
    context, containerfile, collections = ee_build
    python = requirement_lines(os.path.join(REPO, "requirements.txt"))
    system = requirement_lines(os.path.join(REPO, "bindep.txt"))
    assert [line.split(">=")[0] for line in python] == ["jmespath"]

    # The builder stage: introspect.py over the collections the galaxy stage installed (the image's
    # default folder, given here explicitly), written where assemble and bindep read them.
    output = tmp_path / "src"
    command = build_step(containerfile, "introspect.py introspect", {
        "$PYCMD": shlex.quote(sys.executable), "/output/scripts/": str(context / "_build" / "scripts") + "/",
        "/tmp/src/": str(output) + "/"})
    run(["bash", "-c", command + " " + shlex.quote(str(collections))], cwd=str(context / "_build"))
    merged_python = (output / "requirements.txt").read_text().splitlines()
    merged_system = (output / "bindep.txt").read_text().splitlines()
    assert merged_python == ["%s  # from collection alletra.storage" % line for line in python]
    assert merged_system == ["%s  # from collection alletra.storage" % line for line in system]
    # Through meta/execution-environment.yml: ansible-builder falls back to the root's
    # requirements.txt and bindep.txt only when the collection has no such file.
    installed = collections / "ansible_collections" / "alletra" / "storage"
    with open(str(installed / "meta" / "execution-environment.yml")) as handle:
        metadata = yaml.safe_load(handle)
    assert metadata == {"version": 1, "dependencies": {"python": "requirements.txt", "system": "bindep.txt"}}

    # assemble asks bindep for the default profile (and "compile"): a controller EE installs no
    # host-side package, one that attaches to itself gets the right names on either family.
    from bindep.depends import Depends

    depends = Depends("\n".join(merged_system) + "\n")
    debian, redhat = ["platform:dpkg", "platform:debian"], ["platform:rpm", "platform:redhat", "platform:rhel"]
    assert [rule[0] for rule in depends.active_rules(redhat + ["default"])] == []
    assert [rule[0] for rule in depends.active_rules(debian + ["default", "compile"])] == []
    assert [rule[0] for rule in depends.active_rules(debian + ["attach"])] == ["nvme-cli", "open-iscsi", "multipath-tools", "kmod", "rsync"]
    assert [rule[0] for rule in depends.active_rules(redhat + ["attach"])] == [
        "nvme-cli", "iscsi-initiator-utils", "device-mapper-multipath", "kmod", "rsync"]


# -- the credential type, as AWX checks and applies it --------------------------------------------

def credential_type():
    """The input and injector configuration that docs/awx.md tells an AWX admin to paste."""
    return yaml.safe_load(doc_yaml("Input configuration")), yaml.safe_load(doc_yaml("Injector configuration"))


def check_credential_type(inputs, injectors):
    """What AWX's CredentialTypeInputField and CredentialTypeInjectorField refuse on save."""
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    ids = [field["id"] for field in inputs["fields"]]
    assert len(set(ids)) == len(ids), ids
    for field in inputs["fields"]:
        assert set(field) <= FIELD_KEYS and NAME.match(field["id"]) and field["type"] in ("string", "boolean"), field
    assert set(inputs.get("required", [])) <= set(ids)
    assert set(injectors) <= {"file", "env", "extra_vars"}
    files = injectors.get("file", {})
    assert all(re.match(r"^template(\.[a-zA-Z_]+[a-zA-Z0-9_]*)?$", label) for label in files), files
    for name, template in injectors.get("env", {}).items():
        assert NAME.match(name) and not name.startswith("ANSIBLE_") and template.isascii(), name
    # Every template must render with every field set and only the files the type writes.
    namespace = dict((field_id, "EXAMPLE") for field_id in ids)
    filenames = types.SimpleNamespace(**dict((label.split(".")[1], "EXAMPLE_FILENAME") for label in files if "." in label))
    namespace["tower"] = types.SimpleNamespace(filename=filenames)
    sandbox = ImmutableSandboxedEnvironment(undefined=StrictUndefined)
    for kind in injectors.values():
        for template in kind.values():
            sandbox.from_string(template).render(namespace)


def inject_credential(inputs, injectors, values, private_data_dir):
    """AWX's CredentialType.inject_credential for a custom type: the job's environment variables.

    Empty strings stay undefined, a boolean the credential does not set is false, each ``file``
    template is written to a private file in env/ whose path ``tower.filename.<label>`` gives. AWX
    shows the EE the file as /runner/env/...; this job runs without a container, so its own path.
    """
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    namespace = dict((name, value) for name, value in values.items() if isinstance(value, bool) or len(value))
    for field in inputs["fields"]:
        if field["type"] == "boolean" and field["id"] not in values:
            namespace[field["id"]] = False
    tower = types.SimpleNamespace(filename=types.SimpleNamespace())
    namespace["tower"] = tower
    sandbox = ImmutableSandboxedEnvironment()
    for label, template in injectors.get("file", {}).items():
        handle, path = tempfile.mkstemp(dir=os.path.join(private_data_dir, "env"))
        with os.fdopen(handle, "w") as written:
            written.write(sandbox.from_string(template).render(**namespace))
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP | stat.S_IWGRP)
        if "." in label:
            setattr(tower.filename, label.split(".")[1], path)
        else:
            tower.filename = path
    assert not injectors.get("extra_vars"), "extra_vars injectors would go on the command line as -e @file"
    return dict((name, sandbox.from_string(template).render(**namespace)) for name, template in injectors.get("env", {}).items())


def test_the_credential_type_is_valid_and_safe_by_default(tmp_path):
    inputs, injectors = credential_type()
    check_credential_type(inputs, injectors)
    fields = dict((field["id"], field) for field in inputs["fields"])
    assert fields["password"]["secret"] is True and fields["ca_certificate"]["multiline"] is True
    assert set(inputs["required"]) == {"wsapi_url", "username", "password"}
    (tmp_path / "env").mkdir()
    minimal = {"wsapi_url": "https://array.example.com", "username": "3paradm", "password": "secret-Pa55"}

    # Unset: verify, against the EE's trust store (ALLETRA_CA_PATH empty: the modules ignore it).
    env = inject_credential(inputs, injectors, dict(minimal, ca_certificate=""), str(tmp_path))
    assert env == {"ALLETRA_WSAPI_URL": "https://array.example.com", "ALLETRA_USERNAME": "3paradm", "ALLETRA_PASSWORD": "secret-Pa55",
                   "ALLETRA_VALIDATE_CERTS": "true", "ALLETRA_CA_PATH": ""}
    env = inject_credential(inputs, injectors, dict(minimal, ca_certificate="PEM\n", skip_tls_verify=True), str(tmp_path))
    assert env["ALLETRA_VALIDATE_CERTS"] == "false"
    with open(env["ALLETRA_CA_PATH"]) as handle:
        assert handle.read() == "PEM\n"
    assert stat.S_IMODE(os.stat(env["ALLETRA_CA_PATH"]).st_mode) == 0o660
    assert os.path.dirname(env["ALLETRA_CA_PATH"]) == str(tmp_path / "env")


# -- a job, as AWX runs one ------------------------------------------------------------------------

def write_private_data_dir(root, extra_vars, envvars):
    """AWX's layout (awx/main/tasks/jobs.py): project/, inventory/hosts, env/extravars, env/settings, ...

    AWX hands ansible-runner the environment as its envvars argument; env/envvars is the same for
    ansible-runner, and what the task asks for.
    """
    shutil.copytree(os.path.join(REPO, "playbooks"), str(root / "project" / "playbooks"))
    (root / "inventory").mkdir()
    (root / "cp").mkdir(mode=0o700)
    # AWX's inventory is a script printing the inventory's JSON; localhost as the Demo Inventory has it.
    # The shebang is this Python: on this machine `/usr/bin/env python3` may find a pyenv shim.
    inventory = {"all": {"hosts": ["localhost"]},
                 "_meta": {"hostvars": {"localhost": {"ansible_connection": "local",
                                                      "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                                                      "remote_tower_enabled": "true", "remote_tower_id": 1}}}}
    hosts = root / "inventory" / "hosts"
    hosts.write_text("#! %s\n# -*- coding: utf-8 -*-\nprint(%r)\n" % (sys.executable, json.dumps(inventory)))
    hosts.chmod(0o700)
    meta_vars = {"awx_job_id": 1, "tower_job_id": 1, "awx_job_launch_type": "manual", "awx_job_template_name": "Alletra lifecycle"}
    (root / "env" / "extravars").write_text(yaml.safe_dump(dict(extra_vars, **meta_vars)))
    (root / "env" / "envvars").write_text(yaml.safe_dump(envvars))
    (root / "env" / "cmdline").write_text("-u root")
    (root / "env" / "settings").write_text(json.dumps({"job_timeout": 0, "suppress_ansible_output": True, "suppress_output_file": False}))


def unmount_below(folder):
    """Unmount what a job that failed half-way left mounted in ``folder``, so the fabric can detach its devices."""
    with open("/proc/self/mounts") as handle:
        points = [line.split()[1] for line in handle if line.split()[1].startswith(folder + "/")]
    for point in sorted(points, reverse=True):
        subprocess.run(["umount", point], check=False)


def job_environment(sim, fabric, collections, private_data_dir):
    """The job's environment: the credential injected as AWX injects it (its CA checked), the fabric,
    the collections of the EE, and what AWX's build_env sets for every job."""
    inputs, injectors = credential_type()
    with open(sim.ca_path) as handle:
        ca_certificate = handle.read()
    credential = {"wsapi_url": sim.url, "username": sim.user, "password": sim.password, "ca_certificate": ca_certificate}
    envvars = inject_credential(inputs, injectors, credential, str(private_data_dir))
    with open(envvars["ALLETRA_CA_PATH"]) as handle:
        assert handle.read() == ca_certificate
    assert envvars["ALLETRA_VALIDATE_CERTS"] == "true"
    envvars.update(fabric)
    envvars.update(
        PATH=os.pathsep.join([os.path.join(REPO, "tests", "fabric", "bin"), BIN, os.environ["PATH"]]),
        # The collection from the EE; its dependencies (community.general, ansible.posix) from the tree.
        ANSIBLE_COLLECTIONS_PATH=os.pathsep.join([str(collections), os.path.dirname(os.path.dirname(os.path.dirname(COLLECTION)))]),
        # What AWX's build_env sets for every job.
        JOB_ID="1", INVENTORY_ID="1", AWX_PRIVATE_DATA_DIR=str(private_data_dir), ANSIBLE_RETRY_FILES_ENABLED="False",
        ANSIBLE_FORCE_COLOR="True", ANSIBLE_HOST_KEY_CHECKING="False", ANSIBLE_INVENTORY_UNPARSED_FAILED="True",
        ANSIBLE_SSH_CONTROL_PATH_DIR=str(private_data_dir / "cp"),
    )
    return envvars


def assert_job_events(runner, events, password):
    """The job succeeded: every task that started ended ok (or skipped by its condition) on the one host,
    no event shows the password, and no module warned that it skipped TLS verification."""
    failed = ["%s: %s %s" % (event["event_data"].get("task"), event["event_data"].get("res", {}).get("msg"),
                             event["event_data"].get("res", {}).get("stderr", "")) for event in events if event["event"] in FAILED_EVENTS]
    assert runner.status == "successful" and runner.rc == 0, "job %s, rc %s:\n%s" % (runner.status, runner.rc, "\n".join(failed))
    assert not failed and not runner.stats["failures"] and not runner.stats["dark"], failed
    started = dict((event["event_data"]["task_uuid"], event["event_data"]["task"]) for event in events
                   if event["event"] == "playbook_on_task_start")
    ended = dict((event["event_data"]["task_uuid"], event["event"]) for event in events if event["event"] in RESULT_EVENTS)
    assert started and set(ended) == set(started), sorted(set(started.values()) - set(started[uuid] for uuid in ended))
    assert set(ended.values()) <= {"runner_on_ok", "runner_on_skipped"}, ended
    assert "localhost" in runner.stats["ok"]
    assert not [event["stdout"] for event in events if password in event.get("stdout", "")]
    assert not [event["event"] for event in events if password in json.dumps(event)]
    assert not [event["event"] for event in events if "validate_certs is false" in json.dumps(event)]


def test_a_job_runs_as_awx_runs_it(ee_build, sim, sim_admin, array, cpg, fabric, tmp_path):
    import ansible_runner

    dummy, dummy, collections = ee_build
    private_data_dir = tmp_path / "awx_1_job"
    (private_data_dir / "env").mkdir(parents=True)
    envvars = job_environment(sim, fabric, collections, private_data_dir)
    summary = tmp_path / "summary.txt"
    extra_vars = dict(EXTRA_VARS, lifecycle_mount_dir=str(tmp_path / "mnt"), alletra_state_dir=str(tmp_path / "state"),
                      lifecycle_summary_file=str(summary))
    write_private_data_dir(private_data_dir, extra_vars, envvars)
    before = array.snapshot()
    sim_admin.reset_counters()
    sim_admin.config(task_seconds=0.05)  # copies and restores finish at once

    events = []
    try:
        runner = ansible_runner.run(private_data_dir=str(private_data_dir), playbook=PLAYBOOK, ident="1", quiet=True,
                                    event_handler=lambda event: events.append(event) or True)
    finally:
        unmount_below(str(tmp_path))
    assert_job_events(runner, events, sim.password)

    counters = sim_admin.counters()
    assert counters["sessions_open"] == 0
    assert counters["logins"] > 0
    # The job made a pool and volumes, and deleted them again: the array is as the job found it.
    requests = counters["requests"]
    assert requests.get("POST /api/v1/volumesets") and requests.get("POST /api/v1/volumes"), requests
    assert [key for key in requests if key.startswith("DELETE /api/v1/volumesets/")], requests
    assert array.snapshot() == before
    assert_lifecycle_summary(summary.read_text().splitlines())


def assert_lifecycle_summary(lines):
    """lifecycle.yml's summary: the bytes of each step are those they must be, the filesystem grew."""
    steps = dict(line.split(": ", 1) for line in lines if line.split(":", 1)[0] in ("written", "changed", "grown", "copied", "restored"))
    checksum = dict((step, text.split("sha256 ")[1].split("...")[0]) for step, text in steps.items())
    assert checksum["written"] != checksum["changed"] == checksum["grown"] == checksum["copied"], lines
    assert checksum["restored"] == checksum["written"], lines
    assert "(960 MiB filesystem)" in steps["written"] and "(1984 MiB filesystem)" in steps["grown"], lines
    assert "u-5a2504b06a6c48498ee7ddb0b674fd14 (2GiB) attached over nvme" in lines[0], lines
    assert lines[-1].startswith("removed: pool awx-pool with ") and "lifecycle-copy" in lines[-1], lines
