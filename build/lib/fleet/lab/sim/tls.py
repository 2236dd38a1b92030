"""The lab's own certificate authority and the server certificates of simulated devices.

Clients verify every simulator against the CA file (verification is never turned off), so each
device gets a certificate whose subjectAltName holds its loopback IP address (and a DNS name when
one is given). The CA and the certificates live on disk and are reused across restarts; a
certificate is issued again only when its names changed, it was signed by another CA, or it is
close to expiry. Keys are EC P-256: issuing 180 of them takes a fraction of a second.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import ipaddress
import os
import ssl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from fleet.errors import BadInput

CA_CERT = "ca.pem"
CA_KEY = "ca.key"
CA_DAYS = 3650
LEAF_DAYS = 397  # what public CAs may issue at most; the lab renews on start when close
RENEW_BEFORE = dt.timedelta(days=30)


@dataclass(frozen=True)
class CertFiles:
    cert: Path
    key: Path


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _write_private(path: Path, data: bytes, mode: int, durable: bool = True) -> None:
    """Write atomically with the final mode from the start (keys are never world-readable).

    Device certificates skip the fsync (`durable=False`): one lost in a crash is unreadable on
    the next start and simply issued again; the CA is always synced.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.write(fd, data)
        if durable:
            os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Serialise CA creation: the lab starts three simulators sharing one CA at the same time."""
    with open(directory / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _builder(
    subject: x509.Name,
    issuer: x509.Name,
    key: ec.EllipticCurvePrivateKey,
    now: dt.datetime,
    days: int,
    ca: bool,
) -> x509.CertificateBuilder:
    """What the CA and the server certificates share: validity, basic constraints, key usage
    (a CA signs certificates and CRLs; a server certificate only signs its handshakes)."""
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=ca,
                crl_sign=ca,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )


class CertAuthority:
    """A CA kept in a directory: `ca.pem` (give it to clients) and `ca.key` (mode 0600)."""

    def __init__(self, directory: Path, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey):
        self.directory = directory
        self.cert = cert
        self.key = key

    @property
    def cert_path(self) -> Path:
        return self.directory / CA_CERT

    @classmethod
    def ensure(cls, directory: Path, common_name: str = "fleet lab CA") -> CertAuthority:
        """Load the CA kept in `directory`, or create it there on first use."""
        directory = Path(directory).absolute()
        directory.mkdir(parents=True, exist_ok=True)
        with _locked(directory):
            cert_file, key_file = directory / CA_CERT, directory / CA_KEY
            if cert_file.exists() and key_file.exists():
                return cls._load(directory, cert_file, key_file)
            key = ec.generate_private_key(ec.SECP256R1())
            name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
            now = _now()
            ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
            cert = (
                _builder(name, name, key, now, CA_DAYS, ca=True)
                .add_extension(ski, critical=False)
                .add_extension(
                    x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski),
                    critical=False,
                )
                .sign(key, hashes.SHA256())
            )
            _write_private(key_file, _key_pem(key), 0o600)
            _write_private(cert_file, cert.public_bytes(serialization.Encoding.PEM), 0o644)
            return cls(directory, cert, key)

    @classmethod
    def _load(cls, directory: Path, cert_file: Path, key_file: Path) -> CertAuthority:
        try:
            cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
            key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
        except ValueError as exc:
            raise BadInput(
                f"{cert_file} / {key_file}: not a usable lab CA ({exc}); "
                "remove both files to make a new CA"
            ) from exc
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise BadInput(f"{key_file}: the lab CA key must be an EC key")
        return cls(directory, cert, key)

    def issue(
        self, out_dir: Path, stem: str, address: str, dns_names: Sequence[str] = ()
    ) -> CertFiles:
        """Return a server certificate for `address` (+ DNS names), reusing a valid one on disk."""
        out_dir.mkdir(parents=True, exist_ok=True)
        files = CertFiles(out_dir / f"{stem}.pem", out_dir / f"{stem}.key")
        ip = ipaddress.ip_address(address)
        wanted = {ip, *dns_names}
        if self._reusable(files, wanted):
            return files
        key = ec.generate_private_key(ec.SECP256R1())
        now = _now()
        san = x509.SubjectAlternativeName(
            [x509.IPAddress(ip), *(x509.DNSName(name) for name in dns_names)]
        )
        subject = dns_names[0] if dns_names else address
        cert = (
            _builder(
                x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]),
                self.cert.subject,
                key,
                now,
                LEAF_DAYS,
                ca=False,
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(san, critical=False)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
            .sign(self.key, hashes.SHA256())
        )
        _write_private(files.key, _key_pem(key), 0o600, durable=False)
        _write_private(files.cert, cert.public_bytes(serialization.Encoding.PEM), 0o644, False)
        return files

    def _reusable(self, files: CertFiles, wanted: set) -> bool:
        if not (files.cert.exists() and files.key.exists()):
            return False
        try:
            cert = x509.load_pem_x509_certificate(files.cert.read_bytes())
            cert.verify_directly_issued_by(self.cert)
            san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        except (ValueError, TypeError, x509.ExtensionNotFound, InvalidSignature):
            return False
        names = set(san.get_values_for_type(x509.IPAddress))
        names |= set(san.get_values_for_type(x509.DNSName))
        return names == wanted and cert.not_valid_after_utc - _now() > RENEW_BEFORE


def server_context(files: CertFiles) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(files.cert, files.key)
    return ctx


def client_context(ca_file: Path | str) -> ssl.SSLContext:
    """A verifying client context trusting only the lab CA (hostname checks stay on)."""
    return ssl.create_default_context(cafile=str(ca_file))
