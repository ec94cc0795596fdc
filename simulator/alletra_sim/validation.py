"""Request body checks shared by all resources: JSON syntax 400/60, unknown member 400/12, missing 400/40,
wrong type 400/39, and the rules for object names."""

import json
import re

from . import errors
from .errors import JSON_SYNTAX_ERR, WsapiError

# Always used with fullmatch: "$" would also match before a final newline ("vol1\n").
NAME_RE = re.compile(r"[A-Za-z0-9._][A-Za-z0-9._-]*")


def parse_json(body_bytes):
    """The request body as JSON (None when empty); 400/60 when it does not parse."""
    if not body_bytes:
        return None
    try:
        return json.loads(body_bytes.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise WsapiError(400, JSON_SYNTAX_ERR, "JSON syntax error")


def _type_ok(value, kind):
    """Whether ``value`` is of ``kind`` (a spec word: int, bool, str, dict, list[str], list[dict], any)."""
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "str":
        return isinstance(value, str)
    if kind == "dict":
        return isinstance(value, dict)
    if kind == "list[str]":
        return isinstance(value, list) and all(isinstance(item, str) for item in value)
    if kind == "list[dict]":
        return isinstance(value, list) and all(isinstance(item, dict) for item in value)
    if kind == "any":
        return True
    raise ValueError(kind)


def check_members(body, spec, required=()):
    """Validate a JSON object against ``spec`` ({member: kind}) and return it.

    JSON null members count as absent (DG "Null Members").
    """
    if not isinstance(body, dict):
        raise errors.not_json_object()
    for member in body:
        if member not in spec:
            raise errors.unknown_member(member)
    for member in required:
        if body.get(member) is None:
            raise errors.missing(member)
    for member, value in body.items():
        if value is not None and not _type_ok(value, spec[member]):
            raise errors.wrong_type(member)
    return {key: value for key, value in body.items() if value is not None}


def check_name(name, limit, ref="name"):
    """Object names: [A-Za-z0-9._-], not starting with '-', at most ``limit`` characters."""
    if not isinstance(name, str):
        raise errors.wrong_type(ref)
    if name == "":
        raise errors.empty_string(ref)
    if len(name) > limit:
        raise errors.too_long(ref)
    if not NAME_RE.fullmatch(name):
        raise errors.illegal_char(ref)
    return name
