# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""docs/lxd-keys.md cannot drift: every LXD key is in it, every module parameter it names exists, and
every playbook variable it names is used by a playbook."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
import os
import re

import yaml

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PAGE = os.path.join(REPO, "docs", "lxd-keys.md")

# LXD's doc/metadata.txt, config groups storage-alletra-pool-conf and storage-alletra-volume-conf, plus
# the volume.* defaults every pool of a driver takes ({{volume_configuration}} in storage_alletra.md) and
# the common user.* keys (shared/spec/lxd-alletra-driver.md §9).
POOL_KEYS = {
    "alletra.cpg", "alletra.mode", "alletra.target", "alletra.user.name", "alletra.user.password", "alletra.wsapi",
    "alletra.wsapi.verify", "rsync.bwlimit", "rsync.compression", "volume.size", "volume.block.filesystem",
    "volume.block.mount_options", "volume.security.shared", "volume.security.shifted", "volume.security.unmapped",
    "volume.snapshots.expiry", "volume.snapshots.pattern", "volume.snapshots.schedule", "user.*",
}
VOLUME_KEYS = {
    "block.filesystem", "block.mount_options", "security.shared", "security.shifted", "security.unmapped", "size",
    "snapshots.expiry", "snapshots.pattern", "snapshots.schedule", "volatile.devlxd.owner", "volatile.idmap.last",
    "volatile.idmap.next", "volatile.uuid", "user.*",
}
CODE = re.compile(r"`([^`]+)`")
LINK = re.compile(r"\[`([^`]+)`\]\(([^)]+)\)")
# Keys that nothing here implements: LXD's own bookkeeping, and user.*, free-form notes with no meaning outside LXD.
LXD_INTERNAL = {"volume.security.shifted", "volume.security.unmapped", "security.shifted", "security.unmapped",
                "volatile.devlxd.owner", "volatile.idmap.last", "volatile.idmap.next"}
NOT_APPLICABLE = {"user.*"}
# LXD's rsync keys are variables of migrate.yml, which must read them.
RSYNC_VARIABLES = {"rsync_bwlimit": "migrate.yml", "rsync_compression": "migrate.yml"}


def tables():
    """{section title: [(key, parameters, variables, notes)]} of the page's tables."""
    found = {}
    section = None
    with open(PAGE) as handle:
        for line in handle:
            if line.startswith("## "):
                section = line[3:].strip()
            elif line.startswith("| `"):
                cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
                assert len(cells) == 4, "a row of %s has %d cells, not 4: %s" % (section, len(cells), line)
                found.setdefault(section, []).append(cells)
    return found


def fragment_options(name):
    """Options of a doc fragment named alletra.storage.<file>[.<VARIABLE>]."""
    parts = name.split(".")
    assert parts[:2] == ["alletra", "storage"], "fragment %s is not this collection's" % name
    variable = parts[3].upper() if len(parts) > 3 else "DOCUMENTATION"
    with open(os.path.join(REPO, "plugins", "doc_fragments", parts[2] + ".py")) as handle:
        tree = ast.parse(handle.read())
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and node.targets[0].id == variable:
            return yaml.safe_load(node.value.value).get("options", {})
    raise AssertionError("no %s in fragment %s" % (variable, name))


def module_options(module):
    """The module's documented options, its fragments' included (they are its argument spec: sanity checks that)."""
    with open(os.path.join(REPO, "plugins", "modules", module + ".py")) as handle:
        tree = ast.parse(handle.read())
    documentation = [node.value.value for node in tree.body
                     if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "DOCUMENTATION"]
    assert documentation, "%s has no DOCUMENTATION" % module
    doc = yaml.safe_load(documentation[0])
    options = dict(doc.get("options") or {})
    for fragment in doc.get("extends_documentation_fragment", []):
        options.update(fragment_options(fragment))
    return options


MODULES = sorted(name[:-3] for name in os.listdir(os.path.join(REPO, "plugins", "modules"))
                 if name.endswith(".py") and not name.startswith("_"))


def module_fragments(module):
    with open(os.path.join(REPO, "plugins", "modules", module + ".py")) as handle:
        tree = ast.parse(handle.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "DOCUMENTATION":
            return yaml.safe_load(node.value.value).get("extends_documentation_fragment", [])
    return []


# The modules that talk to the array (the connection options): a bare name is an option of each of them.
ARRAY_MODULES = [module for module in MODULES if "alletra.storage.alletra" in module_fragments(module)]


def has_option(module, dotted):
    options = module_options(module)
    for part in dotted.split("."):
        if part not in options:
            return False
        options = options[part].get("suboptions") or {}
    return True


def playbook_text():
    texts = []
    for folder, dummy, files in os.walk(os.path.join(REPO, "playbooks")):
        texts.extend(open(os.path.join(folder, name)).read() for name in files if name.endswith((".yml", ".yaml")))
    return "\n".join(texts)


def test_every_lxd_key_is_in_the_table():
    found = tables()
    assert sorted(found) == ["Pool keys", "Volume keys"]
    pool = [CODE.findall(row[0])[0] for row in found["Pool keys"]]
    volume = [CODE.findall(row[0])[0] for row in found["Volume keys"]]
    assert len(pool) == len(set(pool)) and set(pool) == POOL_KEYS
    assert set(volume) == VOLUME_KEYS


def test_every_module_parameter_exists():
    named = []
    for rows in tables().values():
        for row in rows:
            named.extend(CODE.findall(row[1]))
    assert named
    for name in named:
        module, dot, option = name.partition(".")
        if dot:
            assert module in MODULES, "docs/lxd-keys.md names %s, but there is no module %s" % (name, module)
            assert has_option(module, option), "docs/lxd-keys.md names %s, but %s has no option %s" % (name, module, option)
        else:
            missing = [module_name for module_name in ARRAY_MODULES if not has_option(module_name, name)]
            assert not missing, "docs/lxd-keys.md names %s as an option of every array module; %s lack it" % (name, missing)


def test_every_playbook_variable_is_used_by_a_playbook():
    text = playbook_text()
    named = set()
    for rows in tables().values():
        for row in rows:
            named.update(CODE.findall(row[2]))
    assert "alletra_wsapi" in named and "snapshots_schedule" in named and set(RSYNC_VARIABLES) <= named
    unused = sorted(name for name in named if not re.search(r"\b%s\b" % re.escape(name), text))
    assert not unused, "docs/lxd-keys.md names playbook variables no playbook uses: %s" % unused
    for name, playbook in RSYNC_VARIABLES.items():
        with open(os.path.join(REPO, "playbooks", playbook)) as handle:
            assert re.search(r"\b%s\b" % name, handle.read()), "playbooks/%s does not read %s" % (playbook, name)


def test_every_parameter_and_variable_links_to_what_implements_it():
    for rows in tables().values():
        for row in rows:
            names = CODE.findall(row[1]) + CODE.findall(row[2])
            links = LINK.findall(row[1]) + LINK.findall(row[2])
            assert [name for name, dummy in links] == names, "%s: every name must be a link: %s %s" % (row[0], row[1], row[2])
            for name, target in links:
                path = os.path.normpath(os.path.join(REPO, "docs", target))
                assert os.path.exists(path), "%s links %s to %s, which does not exist" % (row[0], name, target)
                if target.startswith("modules/"):
                    assert target == "modules/%s_module.rst" % name.partition(".")[0], (row[0], name, target)
                elif target.endswith(".yml"):
                    assert re.search(r"\b%s\b" % name, open(path).read()), (row[0], name, target)


def test_keys_without_a_parameter_or_variable_are_lxd_internal_or_meaningless_outside_lxd_and_say_why():
    for section, rows in tables().items():
        for key_cell, parameters, variables, notes in rows:
            key = CODE.findall(key_cell)[0]
            if key in LXD_INTERNAL:
                assert notes.startswith("LXD-internal") and len(notes) > 60, (section, key, notes)
            elif key in NOT_APPLICABLE:
                assert notes.startswith("Not applicable outside LXD") and len(notes) > 40, (section, key, notes)
            else:
                assert CODE.findall(parameters) or CODE.findall(variables), "%s: %s names no parameter or variable" % (section, key)
            if not (CODE.findall(parameters) or CODE.findall(variables)):
                assert key in LXD_INTERNAL | NOT_APPLICABLE, (section, key)


def test_the_table_checks_can_fail():
    assert has_option("alletra_volume", "source.uuid") and not has_option("alletra_volume", "source.size")
    assert has_option("alletra_pool", "wsapi_url") and not has_option("alletra_pool", "shared")
