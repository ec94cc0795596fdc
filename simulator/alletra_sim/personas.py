"""What differs between the array families the simulator can pretend to be.

The versions and model strings are illustrative values of the right shape (see README);
``build`` only matters through P3C's rule "Primera mode if build >= 40000128".
"""

TIB_IN_MIB = 1024 * 1024

PERSONAS = {
    "3par": {
        "model": "HPE 3PAR 8440",
        "systemVersion": "3.3.1.648",
        "api": {"major": 1, "minor": 6, "revision": 15, "build": 30301460},
        "name_max": 31,
        "set_name_max": 27,
        "thin_required": False,
        "max_volume_mib": 16 * TIB_IN_MIB,
        "chunkletSizeMiB": 1024,
        "rcip_ports": True,             # 3PAR arrays ship an RCIP (remote copy over IP) port on each node
    },
    "primera": {
        "model": "HPE Primera A630",
        "systemVersion": "4.5.21.46",
        "api": {"major": 1, "minor": 8, "revision": 0, "build": 40500046},
        "name_max": 31,
        "set_name_max": 27,
        "thin_required": True,
        "max_volume_mib": 64 * TIB_IN_MIB,
        "chunkletSizeMiB": 1024,
        "rcip_ports": False,
    },
    "alletra-mp": {
        "model": "HPE Alletra Storage MP B10000",
        "systemVersion": "10.4.0.47",
        "api": {"major": 1, "minor": 10, "revision": 0, "build": 100400047},
        "name_max": 63,
        "set_name_max": 63,
        "thin_required": True,
        "max_volume_mib": 64 * TIB_IN_MIB,
        "chunkletSizeMiB": 1024,
        "rcip_ports": False,
    },
}


def persona_info(name):
    if name not in PERSONAS:
        raise ValueError("unknown persona %r (choose from %s)" % (name, ", ".join(sorted(PERSONAS))))
    return PERSONAS[name]
