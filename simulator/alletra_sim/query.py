"""The WSAPI ``?query=`` language, as far as clients use it.

Accepted forms (quoted or not, URL-encoded or raw)::

    "copyOf EQ vol1"          copyOf==vol1          "wwn==A OR wwn==B"
    "iSCSIPaths[name==iqn1 OR name==iqn2] OR FCPaths[wwn==W]"
    "volumeName EQ v AND hostname EQ h"

A query is parsed into a predicate over the public JSON object of a resource.
"""

import re

from .errors import INV_INPUT, WsapiError

_TOKEN_RE = re.compile(r'\s*(\[|\]|==|"[^"]*"|\'[^\']*\'|[^\s\[\]"\'=]+)')
_CASE_INSENSITIVE = {"wwn", "name", "nqn", "iscsiname", "portwwn", "volumewwn"}


def _bad(desc="invalid query string"):
    return WsapiError(400, INV_INPUT, desc, ref="query")


def _tokenize(text):
    tokens = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN_RE.match(text, pos)
        if not match or match.end() == pos:
            raise _bad()
        tokens.append(match.group(1))
        pos = match.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return tokens


def _unquote(token):
    if len(token) >= 2 and token[0] == token[-1] and token[0] in "\"'":
        return token[1:-1]
    return token


class _Parser:
    def __init__(self, tokens):
        self.tokens = tokens
        self.pos = 0

    def peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self):
        token = self.peek()
        if token is None:
            raise _bad()
        self.pos += 1
        return token

    def parse_or(self):
        terms = [self.parse_and()]
        while self.peek() is not None and self.peek().upper() == "OR":
            self.take()
            terms.append(self.parse_and())
        return lambda obj: any(term(obj) for term in terms)

    def parse_and(self):
        terms = [self.parse_term()]
        while self.peek() is not None and self.peek().upper() == "AND":
            self.take()
            terms.append(self.parse_term())
        return lambda obj: all(term(obj) for term in terms)

    def parse_term(self):
        attr = self.take()
        if attr in ("[", "]", "==") or attr.upper() in ("OR", "AND", "EQ"):
            raise _bad()
        if self.peek() == "[":
            self.take()
            inner = self.parse_or()
            if self.take() != "]":
                raise _bad()
            return lambda obj: any(isinstance(item, dict) and inner(item) for item in (obj.get(attr) or []))
        operator = self.take()
        if operator != "==" and operator.upper() != "EQ":
            raise _bad()
        value = _unquote(self.take())
        return _equals(attr, value)


def _equals(attr, value):
    def match(obj):
        actual = _lookup(obj, attr)
        if actual is None:
            return False
        if isinstance(actual, bool):
            return str(actual).lower() == value.lower()
        if attr.lower() in _CASE_INSENSITIVE:
            return str(actual).lower() == value.lower()
        return str(actual) == value
    return match


def _lookup(obj, attr):
    if attr in obj:
        return obj[attr]
    for key, val in obj.items():
        if key.lower() == attr.lower():
            return val
    return None


def compile_query(text):
    """Return a predicate for ``text`` (the decoded value of ``query=``)."""
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1]
    tokens = _tokenize(text)
    if not tokens:
        raise _bad()
    parser = _Parser(tokens)
    predicate = parser.parse_or()
    if parser.peek() is not None:
        raise _bad()
    return predicate
