# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The built tarball installs into a fresh directory by README.md's instructions, and works there.

README.md marks the blocks this test runs with ``<!-- tested: NAME -->`` on the line before the
fence, so the README cannot drift from what works. Each install block runs in bash, line by line
as written, in a fresh directory that holds only the tarball, with a fresh HOME and no ANSIBLE_*
variable. Only the network is left out:

* ``python3 -m pip install ...`` is checked, not run: with Galaxy, this virtual environment already
  has what the line installs; without Galaxy, ``pip install ansible`` is replaced by the two
  collections the collection needs, taken from the pinned ``ansible`` wheel in build/dl (what
  ``make tree`` does) into a folder on PYTHONPATH, as pip would put them in site-packages.
* With Galaxy, community.general and ansible.posix are placed in the fresh collections folder, as
  Galaxy would download them, and Galaxy's address is one where nothing answers: the README's
  command runs as written and must not need the network for anything else.

Then, with the environment the block left (ANSIBLE_COLLECTIONS_PATH pointing at the fresh folder
only), ``ansible-doc`` renders a module, and the README's example playbook and a one-task
``alletra_info`` playbook run against the simulator with the README's inventory.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml

from playbook_support import Run

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TREE = os.path.join(REPO, "build", "tree", "ansible_collections")
COLLECTION = os.path.join(TREE, "alletra", "storage")
BIN = os.path.dirname(sys.executable)
DEPENDENCIES = ["community/general", "ansible/posix"]
TESTED = re.compile(r"^<!-- tested: ([a-z-]+) -->\n```[a-z]*\n(.*?)^```$", re.M | re.S)
PIP_LINES = {
    "install-with-galaxy": "python3 -m pip install 'ansible-core>=2.16' jmespath",
    "install-without-galaxy": "python3 -m pip install ansible jmespath",
}
# The README's example, then one alletra_info task (one ansible-playbook run: the JSON callback writes one report a run).
CHECK_PLAYBOOK = [{"ansible.builtin.import_playbook": "site.yml"}, dict(name="Read the array", hosts="localhost", gather_facts=False, tasks=[dict(
    name="Read the pool's volumes and the CPGs", **{"alletra.storage.alletra_info": dict(
        gather_subset=["cpgs", "volumes"], pool="lxd-pool", query="{cpgs: cpgs[].name, sizes: volumes[].size}")})])]


# In YAML, a name with three parts whose first two name a collection: a module, filter, lookup or role by
# its FQCN; in Python, an import from a collection.
FQCN = re.compile(r"\b([a-z0-9_]+)\.([a-z0-9_]+)\.[a-z0-9_]+\b")
IMPORT = re.compile(r"\bansible_collections\.([a-z0-9_]+)\.([a-z0-9_]+)\b")
CONTENT = ["playbooks", "roles", "plugins"]


def readme_blocks():
    with open(os.path.join(REPO, "README.md")) as handle:
        return dict(TESTED.findall(handle.read()))


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    """The collection's tarball, built from the collection tree as `make build` builds it."""
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--output-path", str(dist)],
                   cwd=COLLECTION, check=True, capture_output=True, text=True)
    built = glob.glob(str(dist / "alletra-storage-*.tar.gz"))
    assert len(built) == 1, built
    return built[0]


def fresh_environment(home):
    """This machine's environment less everything Ansible or Python would find the collection by."""
    env = dict((key, value) for key, value in os.environ.items()
               if not key.startswith(("ANSIBLE_", "ALLETRA_", "PYTHON")) and key not in ("VIRTUAL_ENV", "HOME"))
    env.update(HOME=str(home), PATH=BIN + os.pathsep + env["PATH"], ANSIBLE_NOCOLOR="1")
    return env


def run_block(block, folder, env):
    """Runs a README block in bash, line by line as written; returns the environment it leaves."""
    script = folder / "readme-block.sh"
    script.write_text(block + 'env -0 > "%s"\n' % (folder / "readme-block.env"))
    done = subprocess.run(["bash", "-euo", "pipefail", str(script)], cwd=str(folder), env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, "the README's commands failed:\n%s\n%s" % (done.stdout[-3000:], done.stderr[-3000:])
    left = (folder / "readme-block.env").read_text().split("\0")
    return dict(entry.split("=", 1) for entry in left if "=" in entry)


def ansible_doc(env, cwd):
    return subprocess.run([os.path.join(BIN, "ansible-doc"), "alletra.storage.alletra_volume"], cwd=str(cwd), env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def provide_dependencies(route, folder, tmp_path, env):
    """The dependency collections as each route has them: what ansible-galaxy would install beside the
    collection, or the PyPI `ansible` wheel's copies in a site-packages folder on PYTHONPATH."""
    if route == "install-with-galaxy":
        import jmespath  # noqa: F401 pylint: disable=unused-import,import-outside-toplevel
        from ansible.release import __version__  # pylint: disable=import-outside-toplevel
        assert tuple(int(part) for part in __version__.split(".")[:2]) >= (2, 16)
        for dependency in DEPENDENCIES:
            shutil.copytree(os.path.join(TREE, dependency), str(folder / "collections" / "ansible_collections" / dependency))
    else:
        site = tmp_path / "site-packages"
        subprocess.run([sys.executable, os.path.join(REPO, "tools", "extract_collections.py"), os.path.join(REPO, "build", "dl"),
                        str(site)] + DEPENDENCIES, check=True, capture_output=True, text=True)
        env["PYTHONPATH"] = str(site)


@pytest.mark.parametrize("route", sorted(PIP_LINES))
def test_tarball_installs_by_the_readme(route, tarball, tmp_path, sim, sim_admin, cpg, array):
    blocks = readme_blocks()
    lines = blocks[route].splitlines()
    name = os.path.basename(tarball)
    assert PIP_LINES[route] in lines, "README %s: the pip line changed; update the test with it" % route
    assert any(name in line.split() for line in lines), "README %s does not install %s, which the build makes" % (route, name)

    folder = tmp_path / "fresh"
    folder.mkdir()
    shutil.copy(tarball, str(folder))
    env = fresh_environment(tmp_path / "home")
    env["ANSIBLE_GALAXY_SERVER"] = "http://127.0.0.1:9/"
    before = ansible_doc(dict(env, ANSIBLE_COLLECTIONS_PATH=str(folder / "collections")), folder)
    assert before.stdout == "" and "alletra.storage.alletra_volume was not found" in before.stderr, \
        "alletra.storage is found before it is installed: the test environment is not fresh"

    provide_dependencies(route, folder, tmp_path, env)
    block = "\n".join(":" if line == PIP_LINES[route] else line for line in lines) + "\n"
    env = run_block(block, folder, env)

    assert env["ANSIBLE_COLLECTIONS_PATH"] == str(folder / "collections")
    installed = folder / "collections" / "ansible_collections" / "alletra" / "storage"
    assert (installed / "MANIFEST.json").is_file() and (installed / "playbooks" / "attach.yml").is_file()
    doc = ansible_doc(env, folder)
    assert doc.returncode == 0, doc.stderr
    assert "alletra.storage.alletra_volume" in doc.stdout and str(installed) in doc.stdout

    with open(str(folder / "site.yml"), "w") as handle:
        handle.write(blocks["example-playbook"])
    with open(str(folder / "inventory.yml"), "w") as handle:
        handle.write(blocks["inventory"])
    with open(str(folder / "check.yml"), "w") as handle:
        yaml.safe_dump(CHECK_PLAYBOOK, handle, sort_keys=False)
    # The array's connection as the README's example takes it; the JSON callback comes from ansible.posix, installed above.
    env.update(ALLETRA_WSAPI_URL=sim.url, ALLETRA_USERNAME=sim.user, ALLETRA_PASSWORD=sim.password, ALLETRA_CA_PATH=sim.ca_path,
               ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_CALLBACK_RESULT_FORMAT="json")
    command = [os.path.join(BIN, "ansible-playbook"), "-i", "inventory.yml", "check.yml"]
    run = Run(subprocess.run(command, cwd=str(folder), env=env, capture_output=True, text=True, timeout=300, check=False), "check.yml")
    assert run.rc == 0 and run.failures == 0, [(task, result.get("msg")) for task, result in run.results if result.get("failed")]
    cpgs = [item["name"] for item in array.members("/cpgs")]
    assert cpg in cpgs
    assert run["Read the pool's volumes and the CPGs"]["query_result"] == {"cpgs": cpgs, "sizes": ["20GiB"]}
    assert array.volume_sets()["lxd-pool"]["setmembers"] == ["u-5a2504b06a6c48498ee7ddb0b674fd14"]
    assert array.volumes()["u-5a2504b06a6c48498ee7ddb0b674fd14"]["sizeMiB"] == 20 * 1024
    assert sim_admin.counters()["sessions_open"] == 0


def collections_used():
    """Collections other than ansible.builtin and this one that the shipped content names."""
    installed = set(tuple(os.path.relpath(path, TREE).split(os.sep)) for path in glob.glob(os.path.join(TREE, "*", "*")))
    used = {}
    for top in CONTENT:
        for folder, dummy, files in os.walk(os.path.join(REPO, top)):
            for name in files:
                if not name.endswith((".yml", ".yaml", ".j2", ".py")):
                    continue
                with open(os.path.join(folder, name)) as handle:
                    text = handle.read()
                if name.endswith(".py"):
                    names = IMPORT.findall(text)
                else:
                    names = [found for found in FQCN.findall(text) if found in installed or found[0] == "community"]
                for namespace, collection in names:
                    if (namespace, collection) != ("ansible", "builtin"):
                        used.setdefault("%s.%s" % (namespace, collection), set()).add(os.path.relpath(os.path.join(folder, name), REPO))
    used.pop("alletra.storage", None)
    return used


def test_galaxy_dependencies_are_what_the_content_uses():
    with open(os.path.join(REPO, "galaxy.yml")) as handle:
        declared = yaml.safe_load(handle)["dependencies"]
    used = collections_used()
    assert declared and sorted(declared) == sorted(used), "galaxy.yml depends on %s; the content uses %s" % (sorted(declared), used)
