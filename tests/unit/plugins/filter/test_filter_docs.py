# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every filter of every plugins/filter/*.py has a YAML sidecar that matches its signature, and the
sidecar's EXAMPLES give what their comments say."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import importlib
import inspect
import json
import os

import pytest
import yaml
from jinja2.nativetypes import NativeEnvironment

from ansible_collections.alletra.storage.plugins.filter import naming

FILTER_DIR = os.path.dirname(naming.__file__)
FILTERS = {}
for _path in sorted(glob.glob(os.path.join(FILTER_DIR, "*.py"))):
    if os.path.basename(_path) != "__init__.py":
        _module = importlib.import_module("ansible_collections.alletra.storage.plugins.filter." + os.path.basename(_path)[:-3])
        FILTERS.update(_module.FilterModule().filters())
FILTER_NAMES = sorted(FILTERS)


def load_doc(filter_name):
    with open(os.path.join(FILTER_DIR, filter_name + ".yml")) as handle:
        return yaml.safe_load(handle)


def test_every_sidecar_is_a_filter():
    sidecars = sorted(os.path.basename(path)[:-4] for path in glob.glob(os.path.join(FILTER_DIR, "*.yml")))
    assert sidecars == FILTER_NAMES


@pytest.mark.parametrize("filter_name", FILTER_NAMES)
def test_doc_sidecar_describes_the_filter(filter_name):
    doc = load_doc(filter_name)
    assert sorted(doc) == ["DOCUMENTATION", "EXAMPLES", "RETURN"]
    documentation = doc["DOCUMENTATION"]
    assert documentation["name"] == filter_name
    assert documentation["short_description"]
    assert "_value" in doc["RETURN"]
    parameters = list(inspect.signature(FILTERS[filter_name]).parameters.values())
    positional = [option.strip() for option in documentation["positional"].split(",")]
    assert positional == ["_input"] + [parameter.name for parameter in parameters[1:]]
    assert sorted(documentation["options"]) == sorted(positional)
    assert documentation["options"]["_input"]["required"] is True
    for parameter in parameters[1:]:
        option = documentation["options"][parameter.name]
        assert option["default"] == parameter.default
        if "choices" in option:
            assert parameter.default in option["choices"]


def documented_examples():
    """(filter, expected, expression) for each example in the sidecars: a '# <expected>' comment above a line."""
    examples = []
    for filter_name in FILTER_NAMES:
        expected = None
        for line in load_doc(filter_name)["EXAMPLES"].splitlines():
            line = line.strip()
            if line.startswith("#"):
                expected = line[1:].strip()
            elif "{{" in line and expected is not None:
                expression = line.split(":", 1)[1].strip()[1:-1]
                examples.append(pytest.param(filter_name, expected, expression, id="%s: %s" % (filter_name, expression)))
                expected = None
    return examples


def expected_value(comment):
    try:
        return json.loads(comment)
    except ValueError:
        first = comment.split()[0]
        try:
            return json.loads(first)
        except ValueError:
            return first


@pytest.mark.parametrize("filter_name, comment, expression", documented_examples())
def test_documented_examples_give_what_they_say(filter_name, comment, expression):
    environment = NativeEnvironment()
    environment.filters.update(("alletra.storage." + name, function) for name, function in FILTERS.items())
    assert environment.from_string(expression).render() == expected_value(comment)


def test_every_filter_has_a_checked_example():
    assert set(example.values[0] for example in documented_examples()) == set(FILTER_NAMES)
