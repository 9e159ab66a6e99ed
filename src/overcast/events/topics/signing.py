"""The key SNS messages are signed with: an RSA key and a self-signed certificate made once per data dir.

A message's signature is over its fields in AWS's order, as `string_to_sign` writes them, with SHA1
(SignatureVersion 1) or SHA256 (SignatureVersion 2) and PKCS#1 v1.5, base64-encoded; the certificate is
served at the message's SigningCertURL, so a client verifying as AWS documents
(https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html) succeeds. Clients that also
insist the certificate's URL is on amazonaws.com refuse it: it is this server's.
"""

from __future__ import annotations

import base64
import datetime
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

KEY_FILE, CERT_FILE = "sns-signing-key.pem", "sns-signing-cert.pem"
CERT_NAME = "SimpleNotificationService-overcast.pem"

# The fields signed, in order, by message type (absent fields, such as a Notification's Subject, are skipped).
NOTIFICATION_FIELDS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
CONFIRMATION_FIELDS = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")


def string_to_sign(message: Mapping[str, Any]) -> str:
    fields = NOTIFICATION_FIELDS if message["Type"] == "Notification" else CONFIRMATION_FIELDS
    return "".join(f"{name}\n{message[name]}\n" for name in fields if message.get(name) is not None)


class Signer:
    """Signs with the data dir's key, made on first use (and kept, so signatures verify across restarts)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._key: Any = None
        self._cert_pem: bytes = b""

    def _load(self) -> Any:
        if self._key is not None:
            return self._key
        from cryptography.hazmat.primitives import serialization

        key_path, cert_path = self.directory / KEY_FILE, self.directory / CERT_FILE
        if not key_path.exists() or not cert_path.exists():
            self._make(key_path, cert_path)
        self._key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        self._cert_pem = cert_path.read_bytes()
        return self._key

    def _make(self, key_path: Path, cert_path: Path) -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import NameOID

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .sign(key, hashes.SHA256())
        )
        self.directory.mkdir(parents=True, exist_ok=True)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        for path, data in ((key_path, pem), (cert_path, cert.public_bytes(serialization.Encoding.PEM))):
            partial = path.with_suffix(".partial")
            partial.write_bytes(data)
            os.chmod(partial, 0o600)
            partial.replace(path)

    def certificate(self) -> bytes:
        self._load()
        return self._cert_pem

    def sign(self, message: Mapping[str, Any], version: str) -> str:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        digest = hashes.SHA256() if version == "2" else hashes.SHA1()
        signature = self._load().sign(string_to_sign(message).encode(), padding.PKCS1v15(), digest)
        return base64.b64encode(signature).decode()


async def loaded(signer: Signer) -> Signer:
    """The signer with its key read (or made: an RSA key takes ~0.1 s) off the event loop."""
    import asyncio

    await asyncio.to_thread(signer.certificate)
    return signer
