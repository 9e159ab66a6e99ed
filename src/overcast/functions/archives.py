"""Zip archives of function and layer code: inspecting uploads and extracting them, safely.

Uploads are hostile until proven otherwise. `inspect` reads a zip fully (decompressing every entry
while counting real bytes) and refuses, before anything is stored:
- a corrupt or encrypted zip (Lambda's own text: "Could not unzip uploaded file. ..."),
- more than MAX_ENTRIES entries,
- entries whose path is absolute, has a drive letter or NUL, or climbs out with `..`,
- symbolic-link entries,
- entries whose data overlap another's (the non-recursive zip bomb),
- an entry expanding more than MAX_RATIO times its compressed size (beyond what deflate can do honestly),
- a total uncompressed size at or above the limit (250 MB), by declared sizes and by bytes really produced.
`extract` applies the same rules while writing into a fresh directory that only appears, complete, on success.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import os
import re
import shutil
import stat
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from overcast.functions.errors import InvalidParameterValue
from overcast.functions.validation import CODE_SIZE_UNZIPPED

# Enough for a large node_modules tree; far below what could exhaust inodes or time.
MAX_ENTRIES = 50_000
# Deflate cannot honestly exceed ~1032:1; an entry beyond this ratio (and above RATIO_FLOOR bytes) is a bomb.
MAX_RATIO = 1100
RATIO_FLOOR = 1 << 20
_CHUNK = 1 << 20

# https://docs.aws.amazon.com/lambda/latest/dg/troubleshooting-deployment.html ("InvalidParameterValueException:
# Could not unzip uploaded file").
CORRUPT = "Could not unzip uploaded file. Please check your file, then try to upload again."
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True, slots=True)
class ZipSummary:
    sha256_hex: str
    size: int  # bytes of the zip
    unzipped_size: int  # bytes of all entries, uncompressed
    entries: int


def _refuse(reason: str) -> InvalidParameterValue:
    return InvalidParameterValue(f"Could not unzip uploaded file: {reason}")


def _too_large(limit: int) -> InvalidParameterValue:
    return InvalidParameterValue(f"Unzipped size must be smaller than {limit} bytes")


def _open(data: bytes) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise InvalidParameterValue(CORRUPT) from exc


def safe_name(name: str) -> str:
    """The entry's path relative to the code root, or a refusal if it could land outside it."""
    normal = name.replace("\\", "/")
    if "\x00" in normal or normal.startswith("/") or _DRIVE.match(normal):
        raise _refuse(f"the entry '{name}' has an absolute path.")
    parts = [part for part in normal.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise _refuse(f"the entry '{name}' points outside the code directory.")
    return "/".join(parts)


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def _check_entries(archive: zipfile.ZipFile, limit: int) -> list[zipfile.ZipInfo]:
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        raise _refuse(f"it has {len(infos)} entries, more than the {MAX_ENTRIES} Overcast accepts.")
    declared = 0
    for info in infos:
        safe_name(info.filename)
        if _is_symlink(info):
            raise _refuse(f"the entry '{info.filename}' is a symbolic link, which Overcast does not accept.")
        if info.flag_bits & 0x1:
            raise InvalidParameterValue(CORRUPT)  # encrypted
        if info.file_size > RATIO_FLOOR and info.file_size > max(info.compress_size, 1) * MAX_RATIO:
            raise _refuse(f"the entry '{info.filename}' expands more than {MAX_RATIO} times (a zip bomb).")
        declared += info.file_size
    if declared >= limit:
        raise _too_large(limit)
    # Entries must not share or overlap their data: each one ends before the next header starts.
    spans = sorted((info.header_offset, info.compress_size) for info in infos if not info.is_dir())
    for (offset, length), (next_offset, _) in itertools.pairwise(spans):
        if offset + length > next_offset or offset == next_offset:
            raise _refuse("entries overlap each other (a zip bomb).")
    return infos


def _stream(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, total: int, limit: int, sink: io.BufferedWriter | None
) -> int:
    """Decompress one entry, counting real bytes against the ratio and size limits; the new total."""
    produced = 0
    ceiling = max(RATIO_FLOOR, info.compress_size * MAX_RATIO)
    with archive.open(info) as source:
        while chunk := source.read(_CHUNK):
            produced += len(chunk)
            total += len(chunk)
            if total >= limit:
                raise _too_large(limit)
            if produced > ceiling:
                raise _refuse(f"the entry '{info.filename}' expands more than {MAX_RATIO} times (a zip bomb).")
            if sink is not None:
                sink.write(chunk)
    return total


_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError)


def inspect(data: bytes, limit: int = CODE_SIZE_UNZIPPED) -> ZipSummary:
    """Check an uploaded zip completely; its digest and sizes, or InvalidParameterValue."""
    archive = _open(data)
    with archive:
        infos = _check_entries(archive, limit)
        total = 0
        try:
            for info in infos:
                if not info.is_dir():
                    total = _stream(archive, info, total, limit, None)
        except _READ_ERRORS as exc:
            raise InvalidParameterValue(CORRUPT) from exc
    return ZipSummary(hashlib.sha256(data).hexdigest(), len(data), total, len(infos))


def extract(data: bytes, dest_dir: str | os.PathLike[str], limit: int = CODE_SIZE_UNZIPPED) -> ZipSummary:
    """Unpack a zip into `dest_dir` (which must not exist, or be empty). All or nothing: on any refusal
    nothing is left behind. Files get mode 0644, or 0755 when the entry had any execute bit."""
    dest = Path(dest_dir)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise FileExistsError(f"{dest} exists and is not an empty directory")
    dest.parent.mkdir(parents=True, exist_ok=True)
    archive = _open(data)
    staging = Path(tempfile.mkdtemp(prefix=".extract-", dir=dest.parent))
    try:
        with archive:
            infos = _check_entries(archive, limit)
            root = os.path.realpath(staging)
            total = 0
            for info in infos:
                relative = safe_name(info.filename)
                if not relative:
                    continue
                target = staging / relative
                if not os.path.realpath(target).startswith(root + os.sep):
                    raise _refuse(f"the entry '{info.filename}' points outside the code directory.")
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                mode = 0o755 if (info.external_attr >> 16) & 0o111 else 0o644
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, mode)
                with os.fdopen(fd, "wb") as sink:
                    total = _stream(archive, info, total, limit, sink)
                os.chmod(target, mode)
        os.chmod(staging, 0o755)
        if dest.exists():
            dest.rmdir()
        os.rename(staging, dest)
    except _READ_ERRORS as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise InvalidParameterValue(CORRUPT) from exc
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise _refuse(f"an entry could not be written ({exc.strerror}).") from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return ZipSummary(hashlib.sha256(data).hexdigest(), len(data), total, len(infos))
