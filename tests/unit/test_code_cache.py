# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""tests/code_cache: the playbook tests' module runs get exactly the code a compile gives, named for their own payload."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib.util
import marshal
import os
import traceback
import zipfile
import zipimport

SITECUSTOMIZE = os.path.join(os.path.dirname(__file__), "..", "code_cache", "sitecustomize.py")
SOURCE = b'''
def outer():
    def inner():
        raise ValueError("from inner")
    return inner()
'''


# What zipimport compiles a module's source with, and the code cache replaces.
COMPILE_SOURCE = "_compile_source"


def keep_compile_source(monkeypatch):
    """zipimport's compile function is put back after the test, whatever the test installs."""
    monkeypatch.setattr(zipimport, COMPILE_SOURCE, getattr(zipimport, COMPILE_SOURCE))


def load_code_cache():
    spec = importlib.util.spec_from_file_location("code_cache_sitecustomize", SITECUSTOMIZE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def payload(folder, source=SOURCE):
    """A zip holding module ``cached_mod``, as an AnsiballZ payload holds module_utils."""
    os.makedirs(folder)
    path = os.path.join(folder, "payload.zip")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("cached_mod.py", source)
    return path


def run_from(path):
    """Import cached_mod from the zip at ``path`` and call outer(): (its message, the traceback's file names)."""
    spec = zipimport.zipimporter(path).find_spec("cached_mod")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    try:
        module.outer()
    except ValueError as err:
        return str(err), [frame.filename for frame in traceback.extract_tb(err.__traceback__)[1:]]
    raise AssertionError("outer() did not raise")


def test_a_second_payload_takes_the_cached_code_under_its_own_file_name(tmp_path, monkeypatch):
    keep_compile_source(monkeypatch)
    cache = tmp_path / "cache"
    load_code_cache().install(str(cache))

    first = payload(str(tmp_path / "run1"))
    assert run_from(first) == ("from inner", [os.path.join(first, "cached_mod.py")] * 2)
    entries = os.listdir(str(cache))
    assert len(entries) == 1
    # Only a run that reads the cache sees this code: the same function, another message.
    with open(str(cache / entries[0]), "wb") as handle:
        handle.write(marshal.dumps(compile(SOURCE.replace(b"from inner", b"from the cache"), "elsewhere.py", "exec")))

    second = payload(str(tmp_path / "run2"))
    assert run_from(second) == ("from the cache", [os.path.join(second, "cached_mod.py")] * 2)
    assert os.listdir(str(cache)) == entries


def test_other_source_bytes_are_compiled_again(tmp_path, monkeypatch):
    keep_compile_source(monkeypatch)
    cache = tmp_path / "cache"
    load_code_cache().install(str(cache))
    run_from(payload(str(tmp_path / "run1")))
    changed = SOURCE.replace(b"from inner", b"changed")
    assert run_from(payload(str(tmp_path / "run2"), changed))[0] == "changed"
    assert len(os.listdir(str(cache))) == 2


def test_without_its_variable_nothing_is_cached(tmp_path, monkeypatch):
    keep_compile_source(monkeypatch)
    original = getattr(zipimport, COMPILE_SOURCE)
    monkeypatch.delenv("ALLETRA_TEST_CODE_CACHE", raising=False)
    load_code_cache()
    assert getattr(zipimport, COMPILE_SOURCE) is original
