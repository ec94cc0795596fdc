# -*- coding: utf-8 -*-
# Copyright: (c) 2026, alletra.storage contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every module that talks to the array is in the action group `alletra`, so module_defaults sets its
connection once; a host-side module without the connection options (alletra_data_copy) is not, since
module_defaults would pass it options it does not take."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
import os

import yaml

COLLECTION = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PREFIX = "alletra.storage."


def modules_on_disk(connection=True):
    """The modules that take the connection options (their documentation extends the fragment
    alletra.storage.alletra), or with ``connection=False`` those that do not."""
    folder = os.path.join(COLLECTION, "plugins", "modules")
    if not os.path.isdir(folder):
        return set()
    names = set(name[:-3] for name in os.listdir(folder) if name.endswith(".py") and name != "__init__.py")
    return set(name for name in names if takes_connection(os.path.join(folder, name + ".py")) == connection)


def takes_connection(path):
    with open(path) as handle:
        tree = ast.parse(handle.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "DOCUMENTATION":
            fragments = yaml.safe_load(node.value.value).get("extends_documentation_fragment") or []
            return "alletra.storage.alletra" in fragments
    raise AssertionError("%s has no DOCUMENTATION" % path)


def modules_in_group():
    with open(os.path.join(COLLECTION, "meta", "runtime.yml")) as handle:
        runtime = yaml.safe_load(handle)
    members = (runtime.get("action_groups") or {}).get("alletra") or []
    return [name[len(PREFIX):] if name.startswith(PREFIX) else name for name in members]


def test_group_lists_each_module_once():
    members = modules_in_group()
    assert sorted(members) == sorted(set(members)), "listed twice in meta/runtime.yml: %s" % sorted(
        name for name in set(members) if members.count(name) > 1)


def test_every_module_is_in_the_group():
    missing = modules_on_disk() - set(modules_in_group())
    assert not missing, "add to action_groups.alletra in meta/runtime.yml: %s" % sorted(missing)


def test_group_has_no_module_that_does_not_exist():
    unknown = set(modules_in_group()) - modules_on_disk()
    assert not unknown, "not in plugins/modules, or without the connection options: remove from meta/runtime.yml: %s" % sorted(unknown)


def test_the_host_side_copy_modules_take_no_connection():
    assert modules_on_disk(connection=False) == {"alletra_data_copy", "alletra_data_copy_info"}
