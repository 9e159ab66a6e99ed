"""Function and layer code: what an upload may be, and its content-addressed storage in the store.

Zips are stored once per SHA-256 (table lambda_code) whoever uploads them, and dropped when no
function version or layer version refers to them any more. A function may instead use a local
directory for hot reloading, with the convention LocalStack users know:
`Code={"S3Bucket": "hot-reload", "S3Key": "/absolute/path/to/dir"}`, only under the roots the
`hot_reload_roots` setting allows (`HotReloadRoots`). Code may also be a package `overcast deploy`
uploaded to the artifact bucket (`S3Bucket: overcast-artifacts`, see overcast.artifacts), read as
Lambda reads an S3 object.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from overcast.artifacts import ARTIFACT_BUCKET, Artifacts
from overcast.functions import archives
from overcast.functions.errors import InvalidParameterValue, RequestTooLarge
from overcast.functions.records import CodeRef
from overcast.functions.validation import CODE_SIZE_UNZIPPED, CODE_SIZE_ZIPPED, REQUEST_SIZE_LIMIT
from overcast.store import Queries

HOT_RELOAD_BUCKET = "hot-reload"


@dataclass(frozen=True, slots=True)
class CodeInput:
    """Code as an upload names it (FunctionCode / UpdateFunctionCode / LayerVersionContentInput)."""

    zip_file: bytes | None = None
    s3_bucket: str | None = None
    s3_key: str | None = None
    s3_object_version: str | None = None
    image_uri: str | None = None


@dataclass(frozen=True, slots=True)
class PreparedCode:
    """Checked code, ready to store: the reference a version keeps, and the zip bytes (None for a directory)."""

    ref: CodeRef
    data: bytes | None


@dataclass(frozen=True, slots=True)
class HotReloadRoots:
    """Where a hot-reload directory may be: under one of `roots` once every symlink is resolved, and
    never `/` nor the data dir, inside it or above it (its database holds every function's environment)."""

    roots: tuple[Path, ...]
    data_dir: Path

    def resolve(self, path: str) -> str:
        """The real directory `path` names, if a function may run from it; InvalidParameterValue if not."""
        if not os.path.isabs(path):
            raise InvalidParameterValue(
                f"When using hot reloading, the S3Key must be an absolute path to a local directory, got '{path}'."
            )
        if not os.path.isdir(path):
            raise InvalidParameterValue(f"The hot-reload directory '{path}' does not exist or is not a directory.")
        real = Path(os.path.realpath(path))
        shown = f"'{path}'" if str(real) == path else f"'{path}' (that is '{real}')"
        if real.parent == real:
            raise InvalidParameterValue(f"The hot-reload directory {shown} is the root of the file system.")
        data = Path(os.path.realpath(self.data_dir))
        if real == data or data in real.parents or real in data.parents:
            raise InvalidParameterValue(
                f"The hot-reload directory {shown} is or holds Overcast's data dir '{data}', whose database "
                "holds every function's environment variables. Use a directory outside it."
            )
        roots = [Path(os.path.realpath(root)) for root in self.roots]
        if not any(real == root or root in real.parents for root in roots):
            allowed = ", ".join(f"'{root}'" for root in roots) or "none"
            raise InvalidParameterValue(
                f"The hot-reload directory {shown} is not under a directory Overcast allows (allowed: {allowed}); "
                "the hot_reload_roots setting (OVERCAST_HOT_RELOAD_ROOTS) names them."
            )
        return str(real)


def prepare(
    code: CodeInput,
    operation: str,
    allow_local_dir: bool = True,
    hot_reload: HotReloadRoots | None = None,
    artifacts: Artifacts | None = None,
) -> PreparedCode:
    """Check an upload completely (hostile zips are refused here, before anything is stored)."""
    if code.image_uri is not None:
        raise InvalidParameterValue("Container images (ImageUri) are not supported by Overcast yet; upload a .zip.")
    if code.zip_file is not None:
        if code.s3_bucket is not None or code.s3_key is not None:
            raise InvalidParameterValue("Please provide a source for function code.")  # both given
        if len(code.zip_file) > CODE_SIZE_ZIPPED:
            # https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html: 50 MB zipped, direct upload.
            raise RequestTooLarge(
                f"Request must be smaller than {REQUEST_SIZE_LIMIT} bytes for the {operation} operation"
            )
        summary = archives.inspect(code.zip_file)
        return PreparedCode(CodeRef(summary.sha256_hex, summary.size, summary.unzipped_size), code.zip_file)
    if code.s3_bucket == ARTIFACT_BUCKET and artifacts is not None:
        data = artifacts.read(code.s3_key or "")
        if data is None:
            # Lambda's answer for an S3 key that does not exist (InvalidParameterValueException).
            raise InvalidParameterValue(
                "Error occurred while GetObject. S3 Error Code: NoSuchKey. "
                "S3 Error Message: The specified key does not exist."
            )
        summary = archives.inspect(data)  # from S3 the 50 MB zipped limit does not apply; 250 MB unzipped does
        return PreparedCode(CodeRef(summary.sha256_hex, summary.size, summary.unzipped_size), data)
    if code.s3_bucket == HOT_RELOAD_BUCKET and allow_local_dir:
        if hot_reload is None:
            raise InvalidParameterValue("Hot reloading (S3Bucket 'hot-reload') is not enabled in this Overcast.")
        path = hot_reload.resolve(code.s3_key or "")
        digest = hashlib.sha256(path.encode()).hexdigest()
        return PreparedCode(CodeRef(digest, 0, 0, local_dir=path), None)
    if code.s3_bucket is not None or code.s3_key is not None:
        raise InvalidParameterValue(
            "Code from S3 (S3Bucket/S3Key) is not supported by Overcast yet: upload the .zip as ZipFile"
            + (
                f", or use S3Bucket '{HOT_RELOAD_BUCKET}' with S3Key an absolute local directory."
                if allow_local_dir
                else "."
            )
        )
    raise InvalidParameterValue("Please provide a source for function code.")


def prepare_layer(
    code: CodeInput, operation: str = "PublishLayerVersion", artifacts: Artifacts | None = None
) -> PreparedCode:
    prepared = prepare(code, operation, allow_local_dir=False, artifacts=artifacts)
    if prepared.ref.unzipped_size >= CODE_SIZE_UNZIPPED:
        raise InvalidParameterValue(f"Unzipped size must be smaller than {CODE_SIZE_UNZIPPED} bytes")
    return prepared


async def store_code(tx: Queries, prepared: PreparedCode) -> None:
    if prepared.data is None:
        return
    await tx.execute(
        "INSERT INTO lambda_code (sha, data, size, unzipped_size) VALUES (?, ?, ?, ?) ON CONFLICT (sha) DO NOTHING",
        prepared.ref.sha256_hex,
        prepared.data,
        prepared.ref.size,
        prepared.ref.unzipped_size,
    )


async def read_code(q: Queries, sha256_hex: str) -> bytes | None:
    row = await q.fetch_one("SELECT data FROM lambda_code WHERE sha = ?", sha256_hex)
    return None if row is None else bytes(row["data"])


async def drop_unreferenced(tx: Queries, shas: Iterable[str]) -> None:
    """Delete stored zips that no function version or layer version uses any more.

    A function version keeps the zips of its layers alive too (Lambda lets a function keep using a
    deleted layer version); those references live in the version's config JSON, hence the LIKE.
    """
    for sha in set(shas):
        await tx.execute(
            "DELETE FROM lambda_code WHERE sha = ? "
            "AND NOT EXISTS (SELECT 1 FROM lambda_versions WHERE code_sha = ?) "
            "AND NOT EXISTS (SELECT 1 FROM lambda_layer_versions WHERE code_sha = ?) "
            "AND NOT EXISTS (SELECT 1 FROM lambda_versions WHERE config LIKE ?)",
            sha,
            sha,
            sha,
            f"%{sha}%",
        )
