"""Request body checks shared by all resources: unknown member 400/12, missing 400/40, wrong type 400/39."""

import re

from .errors import (
    INV_INPUT,
    INV_INPUT_EMPTY_STR,
    INV_INPUT_EXCEEDS_LENGTH,
    INV_INPUT_ILLEGAL_CHAR,
    INV_INPUT_MISSING_REQUIRED,
    INV_INPUT_NOT_JSON_OBJ,
    INV_INPUT_WRONG_TYPE,
    WsapiError,
)

# Always used with fullmatch: "$" would also match before a final newline ("vol1\n").
NAME_RE = re.compile(r"[A-Za-z0-9._][A-Za-z0-9._-]*")


def _type_ok(value, kind):
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
        raise WsapiError(400, INV_INPUT_NOT_JSON_OBJ, "invalid input: a JSON object was expected")
    for member in body:
        if member not in spec:
            raise WsapiError(400, INV_INPUT, "invalid input: unknown member", ref=member)
    for member in required:
        if body.get(member) is None:
            raise WsapiError(400, INV_INPUT_MISSING_REQUIRED, "invalid input: missing required member", ref=member)
    for member, value in body.items():
        if value is not None and not _type_ok(value, spec[member]):
            raise WsapiError(400, INV_INPUT_WRONG_TYPE, "invalid input: wrong type", ref=member)
    return {key: value for key, value in body.items() if value is not None}


def check_name(name, limit, ref="name"):
    """Object names: [A-Za-z0-9._-], not starting with '-', at most ``limit`` characters."""
    if not isinstance(name, str):
        raise WsapiError(400, INV_INPUT_WRONG_TYPE, "invalid input: wrong type", ref=ref)
    if name == "":
        raise WsapiError(400, INV_INPUT_EMPTY_STR, "invalid input: empty string", ref=ref)
    if len(name) > limit:
        raise WsapiError(400, INV_INPUT_EXCEEDS_LENGTH, "invalid input: string length exceeds limit", ref=ref)
    if not NAME_RE.fullmatch(name):
        raise WsapiError(400, INV_INPUT_ILLEGAL_CHAR, "invalid input: illegal character in name", ref=ref)
    return name
