"""Client certificates: API Gateway's self-signed certificates a backend can use to trust the gateway.

GenerateClientCertificate makes a real self-signed X.509 certificate (RSA 2048, valid 365 days, as
API Gateway's) and keeps its PEM; Overcast's HTTP integrations do not present it yet.
https://docs.aws.amazon.com/apigateway/latest/developerguide/getting-started-client-side-ssl-authentication.html
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from overcast.apis.errors import NotFound

VALID_DAYS = 365


@dataclass(frozen=True, slots=True)
class ClientCertificate:
    client_certificate_id: str
    pem_encoded_certificate: str
    created_date: float
    expiration_date: float
    description: str | None = None


def certificate_not_found(certificate_id: str) -> NotFound:
    return NotFound(f"Invalid Client Certificate identifier specified: {certificate_id}")


def self_signed_pem(common_name: str, now: float) -> str:
    """A new self-signed certificate's PEM (slow: an RSA key is made; run it off the event loop)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    start = datetime.datetime.fromtimestamp(now, datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=VALID_DAYS))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")
