"""host_getTLSCertificate: a key and certificate for a host, signed by the device's own opsi CA.

The CA key is derived from the depot id, so it is stable across restarts without being stored.
EC keys keep this fast; `cryptography` is imported only when the method is called."""

from __future__ import annotations

import datetime
import hashlib


def host_certificate(depot_id: str, host_id: str) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def key_for(label: str) -> ec.EllipticCurvePrivateKey:
        secret = int.from_bytes(
            hashlib.sha256(f"opsi-lab:{depot_id}:{label}".encode()).digest(), "big"
        )
        return ec.derive_private_key(secret % (2**255 - 19) + 1, ec.SECP256R1())

    ca_key, key = key_for("ca"), key_for(host_id)
    ca_name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "opsi CA (fleet lab)"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, depot_id),
        ]
    )
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host_id)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(int.from_bytes(hashlib.sha256(host_id.encode()).digest()[:8], "big"))
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=90))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host_id)]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    return (key_pem + cert.public_bytes(serialization.Encoding.PEM)).decode()
