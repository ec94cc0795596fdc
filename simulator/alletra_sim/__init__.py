"""Stateful HPE 3PAR / Primera / Alletra WSAPI v1 simulator."""

from .errors import WsapiError
from .simulator import Simulator

__all__ = ["Simulator", "WsapiError"]
__version__ = "0.1.0"
