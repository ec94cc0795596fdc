"""A private CA and a server certificate, so that clients verify TLS for real.

Files in ``tls_dir``: ``ca.pem`` (give this to clients), ``server.pem``, ``server.key``
(and ``ca.key``, kept so the CA can sign again). Existing files are reused when they are
valid: parseable, in date, the server certificate signed by the CA, its key matching, and
its SAN covering every name asked for.
"""

import datetime
import ipaddress
import os

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DEFAULT_NAMES = ("127.0.0.1", "::1", "localhost")


def _san_entry(name):
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def _write(path, data, private=False):
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


def _valid(tls_dir, names):
    try:
        with open(os.path.join(tls_dir, "ca.pem"), "rb") as handle:
            ca_cert = x509.load_pem_x509_certificate(handle.read())
        with open(os.path.join(tls_dir, "server.pem"), "rb") as handle:
            cert = x509.load_pem_x509_certificate(handle.read())
        with open(os.path.join(tls_dir, "server.key"), "rb") as handle:
            key = serialization.load_pem_private_key(handle.read(), password=None)
    except (OSError, ValueError):
        return False
    now = datetime.datetime.now(datetime.timezone.utc)
    for item in (ca_cert, cert):
        if not item.not_valid_before_utc <= now < item.not_valid_after_utc - datetime.timedelta(days=1):
            return False
    if cert.issuer != ca_cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(ca_cert)
    except (ValueError, TypeError, InvalidSignature):
        return False
    if key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) != \
            cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo):
        return False
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    present = set(san)
    return all(_san_entry(name) in present for name in names)


def _load_ca(tls_dir, now):
    """Keep a still-valid CA (clients may already trust it) when only the server certificate changes."""
    try:
        with open(os.path.join(tls_dir, "ca.pem"), "rb") as handle:
            ca_cert = x509.load_pem_x509_certificate(handle.read())
        with open(os.path.join(tls_dir, "ca.key"), "rb") as handle:
            ca_key = serialization.load_pem_private_key(handle.read(), password=None)
    except (OSError, ValueError):
        return None, None
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    if ca_key.public_key().public_bytes(serialization.Encoding.DER, spki) != \
            ca_cert.public_key().public_bytes(serialization.Encoding.DER, spki):
        return None, None
    if not ca_cert.not_valid_before_utc <= now < ca_cert.not_valid_after_utc - datetime.timedelta(days=30):
        return None, None
    return ca_key, ca_cert


def _new_ca(now):
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "alletra-sim"),
                         x509.NameAttribute(NameOID.COMMON_NAME, "alletra-sim test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return ca_key, ca_cert


def ensure_certificates(tls_dir, extra_names=()):
    """Create (or reuse) the CA and server certificate in ``tls_dir``; return the file paths."""
    os.makedirs(tls_dir, exist_ok=True)
    names = list(DEFAULT_NAMES)
    for name in extra_names:
        if name and name not in names and name not in ("0.0.0.0", "::"):
            names.append(name)
    paths = {key: os.path.join(tls_dir, key) for key in ("ca.pem", "server.pem", "server.key")}
    if _valid(tls_dir, names):
        return paths
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key, ca_cert = _load_ca(tls_dir, now)
    if ca_key is None:
        ca_key, ca_cert = _new_ca(now)
    ca_name = ca_cert.subject
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "alletra-sim"),
                                 x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name).public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=825))
        .add_extension(x509.SubjectAlternativeName([_san_entry(name) for name in names]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    _write(os.path.join(tls_dir, "ca.key"), ca_key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()), private=True)
    _write(paths["server.key"], server_key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()), private=True)
    _write(paths["server.pem"], server_cert.public_bytes(pem))
    _write(paths["ca.pem"], ca_cert.public_bytes(pem))
    return paths
