# -*- coding: utf-8 -*-
# Copyright: (c) 2026, alletra.storage contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """The connection options every module shares (plugins/module_utils/module.py)."""

    DOCUMENTATION = r"""
options:
  wsapi_url:
    description:
      - Base URL of the array's WSAPI, for example V(https://array.example.com) or V(https://array.example.com:8080).
      - A trailing V(/api/v1) is accepted.
      - A V(http://) URL is refused unless O(allow_http=true).
      - Falls back to the environment variable E(ALLETRA_WSAPI_URL).
    type: str
    required: true
  username:
    description:
      - Array user the module logs in as.
      - Falls back to the environment variable E(ALLETRA_USERNAME).
    type: str
    required: true
  password:
    description:
      - Password of O(username). Never logged or shown.
      - Falls back to the environment variable E(ALLETRA_PASSWORD).
    type: str
    required: true
  validate_certs:
    description:
      - Verify the array's TLS certificate.
      - Only set V(false) for a lab array whose certificate cannot be verified; prefer O(ca_path).
      - With V(false) the module warns that a man-in-the-middle could pose as the array and capture the password and the session key.
      - Falls back to the environment variable E(ALLETRA_VALIDATE_CERTS).
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of the CA that signed the array's certificate, when it is not in the system trust store.
      - The file must exist and be readable, else the module fails before it contacts the array.
      - Not used when O(validate_certs=false).
      - Falls back to the environment variable E(ALLETRA_CA_PATH).
    type: path
  timeout:
    description:
      - Seconds to wait for each answer of the array.
      - Falls back to the environment variable E(ALLETRA_TIMEOUT).
    type: int
    default: 30
  allow_http:
    description:
      - Accept a O(wsapi_url) that starts with V(http://), that is a connection without TLS.
      - The password and the WSAPI session key then cross the network unencrypted, and the module warns.
      - Only for a lab array or a simulator that serves no HTTPS. Keep V(false) for a real array.
      - Falls back to the environment variable E(ALLETRA_ALLOW_HTTP).
    type: bool
    default: false
notes:
  - Each task opens one WSAPI session and deletes it when it ends, also when it fails. A logout that gets a server error or no answer
    is sent once more.
  - A login the array refuses because its session limit is reached (HTTP 503, WSAPI code 31) is tried again a few times with a
    growing pause; then the task fails and says so.
  - Set the connection options once for a play with C(module_defaults) and the action group C(group/alletra.storage.alletra).
requirements:
  - Python 3.8 or newer where the module runs; the standard library is enough (C(http.client), C(ssl)).
  - The array's certificate is checked against O(ca_path), else the system trust store (E(SSL_CERT_FILE), E(SSL_CERT_DIR)).
  - E(https_proxy) and E(no_proxy) are honoured as curl honours them.
"""
