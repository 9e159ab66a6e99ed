"""The artifact bucket: deployment packages `overcast deploy` uploads, kept by SHA-256 under the data dir.

Until object storage exists, `overcast deploy` puts each package it builds here
(`PUT /_overcast/artifacts/<sha256>`) and its template names it as
`{S3Bucket: overcast-artifacts, S3Key: <sha256>.zip}`; Lambda reads such code from here as it reads
a key of a bucket. Content-addressed: the same package is stored once, and a deploy asks first
(`HEAD`) so it uploads only what is new.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

ARTIFACT_BUCKET = "overcast-artifacts"
SHA256_HEX = re.compile(r"[0-9a-f]{64}")
KEY = re.compile(r"([0-9a-f]{64})\.zip")


class ArtifactRefused(ValueError):
    """An upload the artifact bucket does not take (its digest is not its name's)."""


@dataclass(frozen=True, slots=True)
class Artifacts:
    """The stored packages: `<root>/<sha256>.zip`, each written whole (a temporary file renamed) or not at all."""

    root: Path

    @staticmethod
    def key_of(sha256_hex: str) -> str:
        return f"{sha256_hex}.zip"

    def has(self, sha256_hex: str) -> bool:
        return bool(SHA256_HEX.fullmatch(sha256_hex)) and (self.root / self.key_of(sha256_hex)).is_file()

    def put(self, sha256_hex: str, data: bytes) -> str:
        """Store `data` under its digest, which must be `sha256_hex`; its key."""
        if not SHA256_HEX.fullmatch(sha256_hex):
            raise ArtifactRefused(f"'{sha256_hex}' is not a sha256 in lowercase hex (64 characters)")
        actual = hashlib.sha256(data).hexdigest()
        if actual != sha256_hex:
            raise ArtifactRefused(f"the body's sha256 is {actual}, not {sha256_hex}")
        target = self.root / self.key_of(sha256_hex)
        if target.is_file():
            return target.name
        self.root.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return target.name

    def read(self, key: str) -> bytes | None:
        """The package stored under `key` (`<sha256>.zip`), or None when there is none."""
        if not KEY.fullmatch(key):
            return None
        try:
            return (self.root / key).read_bytes()
        except FileNotFoundError:
            return None
