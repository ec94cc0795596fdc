#!/usr/bin/env python3
"""Extract dependency collections from the PyPI ``ansible`` wheel (Galaxy is unreachable).

Usage: extract_collections.py WHEEL_DIR TREE NAMESPACE/NAME...

Each collection comes out whole, with its MANIFEST.json, as an installed collection at
TREE/ansible_collections/NAMESPACE/NAME; a previous copy is replaced.
"""

import glob
import os
import shutil
import sys
import zipfile


def main(wheel_dir, tree, collections):
    wheels = glob.glob(os.path.join(wheel_dir, "ansible-*.whl"))
    if len(wheels) != 1:
        sys.exit("expected one ansible wheel in %s, found %s" % (wheel_dir, wheels))
    prefixes = tuple("ansible_collections/%s/" % collection for collection in collections)
    for collection in collections:
        shutil.rmtree(os.path.join(tree, "ansible_collections", collection), ignore_errors=True)
    with zipfile.ZipFile(wheels[0]) as wheel:
        members = [name for name in wheel.namelist() if name.startswith(prefixes)]
        wheel.extractall(tree, members)
    for collection in collections:
        if not os.path.isfile(os.path.join(tree, "ansible_collections", collection, "MANIFEST.json")):
            sys.exit("%s is not in %s" % (collection, wheels[0]))
    print("tree: %s from %s" % (", ".join(c.replace("/", ".") for c in collections), os.path.basename(wheels[0])))


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
