#!/usr/bin/env python3
"""Copy the collection's files into the collection tree that ansible-test and ansible-lint need.

Usage: sync_tree.py REPO DEST

Copies (never symlinks: ansible-test resolves links and then finds no ``ansible_collections``
parent) every file git knows of, tracked or untracked-but-not-ignored, to DEST, except what
galaxy.yml's ``build_ignore`` leaves out of the built collection: the tree holds what ships.
Like ``rsync --delete``: unchanged files (same size and mtime) are left alone, files that are
no longer in the list are removed. ``tests/output`` (ansible-test's results) is kept.

DEST gets a git repository of its own (no commit; the repository's .gitignore as its exclude
file): ansible-test and ansible-lint list content with ``git ls-files`` from the nearest .git
upwards, which would otherwise be the outer repository, where build/ is ignored.
"""

import fnmatch
import os
import shutil
import subprocess
import sys

import yaml

KEEP = (".git", "tests/output")


def git_files(repo):
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=repo, check=True, capture_output=True,
    ).stdout.decode("utf-8")
    return sorted(set(name for name in listing.split("\0") if name))


def ignored(path, patterns):
    """ansible-galaxy's rule: a path is left out when it or one of its parent folders matches."""
    parts = path.split("/")
    prefixes = ["/".join(parts[:count]) for count in range(1, len(parts) + 1)]
    return any(fnmatch.fnmatch(prefix, pattern) for prefix in prefixes for pattern in patterns)


def kept(path):
    return any(path == keep or path.startswith(keep + "/") for keep in KEEP)


def own_git(repo, dest):
    if not os.path.isdir(os.path.join(dest, ".git")):
        os.makedirs(dest, exist_ok=True)
        subprocess.run(["git", "init", "-q", dest], check=True)
    exclude = os.path.join(dest, ".git", "info", "exclude")
    os.makedirs(os.path.dirname(exclude), exist_ok=True)
    with open(os.path.join(repo, ".gitignore"), encoding="utf-8") as source:
        rules = source.read()
    with open(exclude, "w", encoding="utf-8") as target:
        target.write(rules)


def main(repo, dest):
    with open(os.path.join(repo, "galaxy.yml"), encoding="utf-8") as handle:
        patterns = yaml.safe_load(handle).get("build_ignore") or []
    wanted = [path for path in git_files(repo)
              if not ignored(path, patterns) and os.path.isfile(os.path.join(repo, path))]
    copied = removed = 0
    for path in wanted:
        source, target = os.path.join(repo, path), os.path.join(dest, path)
        source_stat = os.stat(source)
        if os.path.islink(target):
            os.unlink(target)
        elif os.path.isdir(target):
            shutil.rmtree(target)
        elif os.path.exists(target):
            target_stat = os.stat(target)
            if (target_stat.st_size, int(target_stat.st_mtime), target_stat.st_mode) == (
                    source_stat.st_size, int(source_stat.st_mtime), source_stat.st_mode):
                continue
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(source, target)
        copied += 1
    wanted_set = set(wanted)
    for root, dirs, files in os.walk(dest, topdown=False):
        for name in files:
            path = os.path.relpath(os.path.join(root, name), dest).replace(os.sep, "/")
            if path not in wanted_set and not kept(path):
                os.unlink(os.path.join(root, name))
                removed += 1
        for name in dirs:
            full = os.path.join(root, name)
            if not kept(os.path.relpath(full, dest).replace(os.sep, "/")) and not os.listdir(full):
                os.rmdir(full)
    own_git(repo, dest)
    print("tree: %s holds %d files (%d copied, %d removed)" % (dest, len(wanted), copied, removed))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
