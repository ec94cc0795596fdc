# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The WSAPI enums of module_utils/wsapi.py: names both ways, the spec's numbers, and the simulator's."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.alletra.storage.plugins.module_utils import wsapi

# shared/spec/wsapi-v1.md, sections 3.7 to 3.9.
SPEC_PERSONAS = {1: "GENERIC", 2: "GENERIC_ALUA", 3: "GENERIC_LEGACY", 4: "HPUX_LEGACY", 5: "AIX_LEGACY", 6: "EGENERA",
                 7: "ONTAP_LEGACY", 8: "VMWARE", 9: "OPENVMS", 10: "HPUX", 11: "WINDOWS_SERVER"}
SPEC_VLUN_TYPES = {1: "EMPTY", 2: "PORT", 3: "HOST", 4: "MATCHED_SET", 5: "HOST_SET"}
SPEC_PROTOCOLS = {1: "FC", 2: "ISCSI", 3: "FCOE", 4: "IP", 5: "SAS", 6: "NVME"}


@pytest.mark.parametrize("names, spec", [
    (wsapi.PERSONAS, SPEC_PERSONAS),
    (wsapi.VLUN_TYPES, SPEC_VLUN_TYPES),
    (wsapi.PROTOCOLS, SPEC_PROTOCOLS),
])
def test_every_number_of_the_spec_has_its_name(names, spec):
    assert sorted(names) == sorted(spec)
    for number, spec_name in spec.items():
        assert names[number] == spec_name.lower().replace("_", "-")


def test_names_are_unique_so_they_map_back():
    for names, numbers in ((wsapi.PERSONAS, wsapi.PERSONA_NUMBERS), (wsapi.PROTOCOLS, wsapi.PROTOCOL_NUMBERS)):
        assert len(set(names.values())) == len(names)
        assert all(numbers[name] == number for number, name in names.items())
    assert len(set(wsapi.VLUN_TYPES.values())) == len(wsapi.VLUN_TYPES)


def test_named_constants_are_the_mapped_numbers():
    assert wsapi.PERSONAS[wsapi.PERSONA_GENERIC_ALUA] == "generic-alua"
    assert wsapi.PERSONAS[wsapi.PERSONA_VMWARE] == "vmware"
    assert wsapi.PERSONA_NUMBERS["windows-server"] == wsapi.PERSONA_WINDOWS_SERVER == 11
    assert wsapi.VLUN_TYPES[wsapi.VLUN_HOST] == "host" and wsapi.VLUN_TYPES[wsapi.VLUN_HOST_SET] == "host-set"
    assert wsapi.PROTOCOLS[wsapi.PROTOCOL_NVME] == "nvme" and wsapi.PROTOCOL_NUMBERS["iscsi"] == wsapi.PROTOCOL_ISCSI
    assert wsapi.TASK_STATES[wsapi.TASK_CANCELLED] == "cancelled"


@pytest.mark.parametrize("names, number, name", [
    (wsapi.PERSONAS, 2, "generic-alua"),
    (wsapi.VLUN_TYPES, 4, "matched-set"),
    (wsapi.PROTOCOLS, 6, "nvme"),
    (wsapi.PERSONAS, 13, "unknown-13"),
    (wsapi.VLUN_TYPES, None, None),
])
def test_enum_name(names, number, name):
    assert wsapi.enum_name(names, number) == name


def test_the_simulator_uses_the_same_numbers():
    model = pytest.importorskip("alletra_sim.model")
    assert (model.PROTO_FC, model.PROTO_ISCSI, model.PROTO_NVME) == (wsapi.PROTOCOL_FC, wsapi.PROTOCOL_ISCSI, wsapi.PROTOCOL_NVME)
    assert (model.VLUN_PORT, model.VLUN_HOST, model.VLUN_MATCHED_SET, model.VLUN_HOST_SET) == (
        wsapi.VLUN_PORT, wsapi.VLUN_HOST, wsapi.VLUN_MATCHED_SET, wsapi.VLUN_HOST_SET)
    assert (model.COPY_BASE, model.COPY_PHYSICAL, model.COPY_VIRTUAL) == (wsapi.COPY_BASE, wsapi.COPY_PHYSICAL, wsapi.COPY_VIRTUAL)
    assert (model.TASK_DONE, model.TASK_ACTIVE, model.TASK_CANCELLED) == (wsapi.TASK_DONE, wsapi.TASK_ACTIVE, wsapi.TASK_CANCELLED)
