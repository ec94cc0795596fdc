"""WSAPI error replies: HTTP status plus the numeric WSAPI code (shared/spec/wsapi-v1.md §2.1)."""


class WsapiError(Exception):
    """An error the array answers with ``{code, desc[, ref]}``."""

    def __init__(self, status, code, desc, ref=None):
        """HTTP ``status``, WSAPI ``code``, text ``desc`` and, unless None, ``ref`` (the member or object at fault)."""
        super().__init__("%s %s %s" % (status, code, desc))
        self.status = status
        self.code = code
        self.desc = desc
        self.ref = ref

    def body(self):
        """The JSON answer: ``{code, desc[, ref]}``."""
        body = {"code": self.code, "desc": self.desc}
        if self.ref is not None:
            body["ref"] = self.ref
        return body


class DropConnection(Exception):
    """Close the connection without answering (fault injection)."""


class ResetConnection(Exception):
    """Abort the connection with a TCP RST, without answering (fault injection)."""


# Numeric codes used by the simulator (name -> code); HTTP status is given at each raise.
INT_SERV_ERR = 1
INV_USER_PASS = 5
INV_SESS_KEY = 6
UNSUP_OP = 9
URI_RES_NOT_FOUND = 11
INV_INPUT = 12
EXISTENT_CPG = 14
NON_EXISTENT_CPG = 15
EXISTENT_HOST = 16
NON_EXISTENT_HOST = 17
EXISTENT_LUN = 18
NON_EXISTENT_VLUN = 19
NON_EXISTENT_PORT = 20
EXISTENT_VOL = 22
NON_EXISTENT_VOL = 23
NO_SPACE = 24
EXPORTED_VLUN = 26
TOO_LARGE = 28
ONLINE_COPY_IN_PROGRESS = 29
SVC_UNAVAIL = 31
HAS_CHILD = 32
IN_USE = 34
NON_EXISTENT_DOMAIN = 38
INV_INPUT_WRONG_TYPE = 39
INV_INPUT_MISSING_REQUIRED = 40
INV_INPUT_EXCEEDS_RANGE = 43
INV_INPUT_PARAM_CONFLICT = 44
INV_INPUT_EMPTY_STR = 45
INV_INPUT_BAD_ENUM_VALUE = 46
INV_INPUT_NOT_JSON_OBJ = 52
INV_INPUT_PORT_SPECIFICATION = 55
INV_INPUT_EXCEEDS_LENGTH = 57
EXISTENT_ID = 59
JSON_SYNTAX_ERR = 60
INV_INPUT_ILLEGAL_CHAR = 69
EXISTENT_PATH = 73
HOST_IN_SET = 77
INV_INPUT_ONE_REQUIRED = 78
NON_EXISTENT_PATH = 80
INV_OPERATION_VLUN_PCOPY_TARGET_VV = 97
INV_INPUT_DUP_PATH = 98
EXISTENT_SET = 101
NON_EXISTENT_SET = 102
MEMBER_IN_SET = 104
MEMBER_NOT_IN_SET = 105
EMPTY_SET = 110        # P3C names EMPTY_SET (HTTP 404), no number: chosen (README Assumptions)
INV_INPUT_BELOW_RANGE = 115
NON_EXISTENT_TASK = 145
INV_OPERATION_UNSUPPORTED_VV_TYPE = 150
VV_BUSY = 151
INV_INPUT_VV_GROW_SIZE = 152
NON_EXISTENT_OBJECT_KEY = 180
EXISTENT_OBJECT_KEY = 181


# ------------------------------------------------------------------ factories
# One factory per reply given in more than one place (or per family, as not_found): the status, code and
# text live here only, so the same mistake always gets the same bytes back. Each returns the error; raise it.

def _reply(status, code, desc):
    """A factory of the error (status, code, desc); its ``ref`` argument names the member or value at fault."""
    def factory(ref=None):
        return WsapiError(status, code, desc, ref=ref)
    return factory


no_such_resource = _reply(404, URI_RES_NOT_FOUND, "the requested resource does not exist")
unsupported = _reply(501, UNSUP_OP, "the resource does not support the operation")    # known path, other method
not_json_object = _reply(400, INV_INPUT_NOT_JSON_OBJ, "invalid input: a JSON object was expected")
unknown_member = _reply(400, INV_INPUT, "invalid input: unknown member")
missing = _reply(400, INV_INPUT_MISSING_REQUIRED, "invalid input: missing required member")
wrong_type = _reply(400, INV_INPUT_WRONG_TYPE, "invalid input: wrong type")
empty_string = _reply(400, INV_INPUT_EMPTY_STR, "invalid input: empty string")
too_long = _reply(400, INV_INPUT_EXCEEDS_LENGTH, "invalid input: string length exceeds limit")
illegal_char = _reply(400, INV_INPUT_ILLEGAL_CHAR, "invalid input: illegal character in name")
bad_enum = _reply(400, INV_INPUT_BAD_ENUM_VALUE, "invalid input: bad enum value")
conflict = _reply(400, INV_INPUT_PARAM_CONFLICT, "invalid input: parameters conflict")   # ref "a,b"
one_required = _reply(400, INV_INPUT_ONE_REQUIRED, "invalid input: one of the parameters is required")
below_range = _reply(400, INV_INPUT_BELOW_RANGE, "invalid input: below range")
too_large = _reply(400, TOO_LARGE, "client request contains values that are too large")
bad_port = _reply(400, INV_INPUT_PORT_SPECIFICATION, "invalid input: port specification")
not_physical_copy = _reply(400, INV_INPUT, "volume is not a physical copy")
set_empty = _reply(404, EMPTY_SET, "the set is empty")    # P3C createSnapshotOfVolumeSet: HTTPNotFound EMPTY_SET
member_in_set = _reply(409, MEMBER_IN_SET, "the object is already part of the set")
path_exists = _reply(409, EXISTENT_PATH, "the path is already used by a host")  # P3C createHost, modifyHost


def out_of_range(desc, field):
    """400/43: a number outside its range; each check words its own limit."""
    return WsapiError(400, INV_INPUT_EXCEEDS_RANGE, desc, ref=field)


# kind -> (code, desc) of "no such object" (always 404).
_NOT_FOUND = {
    "cpg": (NON_EXISTENT_CPG, "CPG does not exist"),
    "volume": (NON_EXISTENT_VOL, "volume does not exist"),
    "host": (NON_EXISTENT_HOST, "host does not exist"),
    "set": (NON_EXISTENT_SET, "set does not exist"),
    "vlun": (NON_EXISTENT_VLUN, "VLUN does not exist"),
    "port": (NON_EXISTENT_PORT, "port does not exist"),
    "task": (NON_EXISTENT_TASK, "task does not exist"),
    "object key": (NON_EXISTENT_OBJECT_KEY, "object key does not exist"),
    "path": (NON_EXISTENT_PATH, "the path does not exist"),
    "domain": (NON_EXISTENT_DOMAIN, "domain does not exist"),
}

# kind -> (status, code, desc) of "already exists": 409, but 400 for a set (DG Table 68; see README).
_EXISTS = {
    "cpg": (409, EXISTENT_CPG, "CPG already exists"),
    "volume": (409, EXISTENT_VOL, "volume exists"),
    "volume id": (409, EXISTENT_ID, "volume id exists"),
    "host": (409, EXISTENT_HOST, "host exists"),
    "set": (400, EXISTENT_SET, "set exists"),
    "object key": (409, EXISTENT_OBJECT_KEY, "object key exists"),
}


def not_found(kind, name):
    """404: no ``kind`` (a key of _NOT_FOUND) called ``name``."""
    code, desc = _NOT_FOUND[kind]
    return WsapiError(404, code, desc, ref=name)


def exists(kind, name):
    """409 (400 for a set): a ``kind`` (a key of _EXISTS) called ``name`` is already there."""
    status, code, desc = _EXISTS[kind]
    return WsapiError(status, code, desc, ref=name)
