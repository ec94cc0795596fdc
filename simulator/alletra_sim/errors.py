"""WSAPI error replies: HTTP status plus the numeric WSAPI code (shared/spec/wsapi-v1.md §2.1)."""


class WsapiError(Exception):
    """An error the array answers with ``{code, desc[, ref]}``."""

    def __init__(self, status, code, desc, ref=None):
        super().__init__("%s %s %s" % (status, code, desc))
        self.status = status
        self.code = code
        self.desc = desc
        self.ref = ref

    def body(self):
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
INV_INPUT_BELOW_RANGE = 115
NON_EXISTENT_TASK = 145
INV_OPERATION_UNSUPPORTED_VV_TYPE = 150
VV_BUSY = 151
INV_INPUT_VV_GROW_SIZE = 152
NON_EXISTENT_OBJECT_KEY = 180
EXISTENT_OBJECT_KEY = 181
