"""The panel's TLS certificate: a self-signed one made on the box for its names and addresses (`cryptography`),
unless the admin configures their own ([web] certificate and key). The key file is owner-only (0600)."""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from appliance.errors import ApplianceError, ErrorCode

VALID_DAYS = 825  # the longest validity Apple's and other clients accept for a server certificate
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Made:
    """A certificate just made: its files, the names and addresses it is for, and its SHA-256 fingerprint."""

    certificate: Path
    key: Path
    names: list[str]
    addresses: list[str]
    fingerprint: str


def box_names() -> list[str]:
    """The box's host names: its hostname, its fully qualified name if different, its mDNS name, localhost."""
    host = socket.gethostname()
    names = [host, socket.getfqdn(), f"{host.split('.')[0]}.local", "localhost"]
    return list(dict.fromkeys(name for name in names if name and name != "localhost.localdomain"))


def box_addresses(bind_address: str = "0.0.0.0") -> list[IpAddress]:
    """The addresses the panel is reached at: loopback, the panel's bind address if it is one, the hostname's
    addresses and the address of the box's default route (found without sending anything)."""
    found: list[str] = ["127.0.0.1", "::1"]
    if bind_address not in ("0.0.0.0", "::"):
        found.append(bind_address)
    with contextlib.suppress(OSError):
        found += [str(info[4][0]) for info in socket.getaddrinfo(socket.gethostname(), None)]
    for family, probe in ((socket.AF_INET, "192.0.2.1"), (socket.AF_INET6, "2001:db8::1")):
        with contextlib.suppress(OSError), socket.socket(family, socket.SOCK_DGRAM) as udp:
            udp.connect((probe, 9))  # UDP connect picks the route's source address and sends nothing
            found.append(udp.getsockname()[0])
    addresses = [ipaddress.ip_address(text.split("%")[0]) for text in found]
    return list(dict.fromkeys(a for a in addresses if not a.is_link_local))


def make_certificate(certificate: Path, key: Path, names: list[str], addresses: list[IpAddress], *,
                     force: bool = False) -> Made:
    """Write a new self-signed certificate and its private key (0600); refuse to replace them unless `force`."""
    if not force and (certificate.exists() or key.exists()):
        raise ApplianceError(f"{certificate} or {key} exists already; add --force to replace them (browsers then "
                             "ask once more to accept the new certificate)")
    private = ec.generate_private_key(ec.SECP256R1())
    cert = _self_signed(private, names, addresses)
    _write(key, private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()), 0o600)
    _write(certificate, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return Made(certificate, key, names, [str(a) for a in addresses], fingerprint(cert))


def _self_signed(private: ec.EllipticCurvePrivateKey, names: list[str], addresses: list[IpAddress]) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0][:64]),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Receptionist appliance")])
    now = datetime.datetime.now(datetime.UTC)
    alternatives: list[x509.GeneralName] = [x509.DNSName(name) for name in names]
    alternatives += [x509.IPAddress(address) for address in addresses]
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(private.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
            .add_extension(x509.SubjectAlternativeName(alternatives), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(private, hashes.SHA256()))


def _write(path: Path, data: bytes, mode: int) -> None:
    """Write a file with `mode` from the start (no moment readable by others), replacing it atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as file:
        file.write(data)
    os.replace(temporary, path)


def fingerprint(cert: x509.Certificate) -> str:
    """A certificate's SHA-256 fingerprint as browsers show it (AB:CD:...)."""
    return ":".join(f"{byte:02X}" for byte in cert.fingerprint(hashes.SHA256()))


def ensure_certificate(certificate: Path, key: Path, bind_address: str) -> Made | None:
    """Make a self-signed certificate if neither file exists (a data folder from before HTTPS, or a new one);
    else check that both can be read. The certificate made, or None."""
    if not certificate.exists() and not key.exists():
        return make_certificate(certificate, key, box_names(), box_addresses(bind_address))
    check_tls_files(certificate, key)
    return None


def check_tls_files(certificate: Path, key: Path) -> None:
    """Refuse to serve the panel without a readable certificate and key, saying what to do."""
    for path, what in ((certificate, "certificate"), (key, "key")):
        if not path.is_file():
            raise ApplianceError(f"the panel's TLS {what} {path} is missing: run 'receptionist certs make' for a "
                                 "self-signed one, or set [web] certificate and key to your own files",
                                 code=ErrorCode.CONFIG)
        if not os.access(path, os.R_OK):
            raise ApplianceError(f"the panel's TLS {what} {path} cannot be read by this user: fix its owner or "
                                 "permissions (the key should be readable by the service user only, 0600)",
                                 code=ErrorCode.CONFIG)
