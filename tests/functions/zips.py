"""Zip builders for the functions tests: honest archives and hostile ones."""

from __future__ import annotations

import io
import stat
import zipfile


def make_zip(files: dict[str, bytes | str], compression: int = zipfile.ZIP_DEFLATED, mode: int = 0o644) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in files.items():
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = compression
            info.external_attr = (stat.S_IFREG | mode) << 16
            archive.writestr(info, content)
    return buffer.getvalue()


def handler_zip(body: str = "def handler(event, context):\n    return event\n") -> bytes:
    return make_zip({"index.py": body})


def symlink_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("link")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, "/etc/passwd")
    return buffer.getvalue()


def patch_central_directory(data: bytes, index: int, field_offset: int, value: int) -> bytes:
    """Overwrite a 4-byte little-endian field of the index-th central directory record."""
    position = -1
    for _ in range(index + 1):
        position = data.index(b"PK\x01\x02", position + 1)
    out = bytearray(data)
    out[position + field_offset : position + field_offset + 4] = value.to_bytes(4, "little")
    return bytes(out)


CENTRAL_COMPRESSED_SIZE = 20
CENTRAL_UNCOMPRESSED_SIZE = 24
CENTRAL_HEADER_OFFSET = 42
