"""One invocation of a template's function in Overcast's own sandbox, with no server: `overcast local invoke`.

The function's code (and its local layers) is built as `overcast deploy` builds it (overcast.deploy.build,
with its cache), zipped as a deploy zips it and unpacked as Lambda unpacks an uploaded package
(overcast.functions.archives), so the instance sees what a deployed one would. It then runs once in a
`LocalSandboxes` instance, isolated as a deployed function is (cgroups and namespaces as root, the rlimit
fallback otherwise, which its log says). Its log is the one a deployed function writes: its init
output, START, its lines, END and REPORT with Init Duration (functions/outbox.py's `Finished.lines`).
"""

from __future__ import annotations

import dataclasses
import datetime
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from overcast.billing.metering import billed_duration_ms
from overcast.config import Settings
from overcast.deploy.archive import zip_tree
from overcast.deploy.build import Builder, BuildSpec
from overcast.deploy.local_function import LocalFunction
from overcast.functions import archives
from overcast.functions.instances import InstanceSpec, Invocation
from overcast.functions.invoke import outcome
from overcast.functions.outbox import Finished

# The file inline code (Code.ZipFile, SAM's InlineCode) is written to, by runtime: "index" and the
# runtime's extension (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/
# aws-properties-lambda-function-code.html, ZipFile).
INLINE_FILES = {"python": "index.py", "nodejs": "index.js"}


@dataclass(frozen=True, slots=True)
class LocalResult:
    """What the invocation answered, and its log lines (START ... REPORT) as the function's log has them."""

    payload: bytes
    function_error: str | None
    log: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Prepared:
    """A function's code and layers unpacked where its sandbox mounts them."""

    code_dir: Path
    code_sha256: str
    layer_dirs: tuple[Path, ...]


def prepare(function: LocalFunction, builder: Builder, into: Path) -> Prepared:
    """Build `function`'s code and layers and unpack each under `into` (made if missing, else empty)."""
    into.mkdir(parents=True, exist_ok=True)
    if function.code is None:
        staging = into / "inline"
        staging.mkdir()
        kind = next((k for k in INLINE_FILES if function.runtime.startswith(k)), None)
        if kind is None:
            raise ValueError(f"{function.logical_id}: inline code needs a python or nodejs runtime")
        (staging / INLINE_FILES[kind]).write_text(function.inline or "")
        data = zip_tree(staging)
        summary = archives.extract(data, into / "code")
    else:
        summary = _unpacked(function.code, builder, into / "code")
    layers = tuple(into / f"layer-{index}" for index in range(len(function.layers)))
    for spec, layer_dir in zip(function.layers, layers, strict=True):
        _unpacked(spec, builder, layer_dir)
    return Prepared(into / "code", summary.sha256_hex, layers)


def _unpacked(spec: BuildSpec, builder: Builder, dest: Path) -> archives.ZipSummary:
    with tempfile.TemporaryDirectory(prefix="overcast-build-") as staging:
        builder.build(spec, Path(staging))
        data = zip_tree(Path(staging))
    return archives.extract(data, dest)


async def invoke_once(
    function: LocalFunction,
    prepared: Prepared,
    event: bytes,
    settings: Settings,
    *,
    endpoint_url: str | None,
    sandbox_dir: Path,
) -> LocalResult:
    """Start one instance of `function`, invoke it with `event`, and stop it. `endpoint_url`: the running
    Overcast the function's SDK calls (AWS_ENDPOINT_URL), None for none; `sandbox_dir`: a directory of
    the sandboxes' own (masked from the instance as a server's data dir is)."""
    from overcast.functions.sandbox import LocalSandboxes

    account, region = settings.default_account, settings.default_region
    if endpoint_url is None:
        settings = dataclasses.replace(settings, port=0)  # no endpoint: LocalSandboxes names none inside
    arn = f"arn:aws:lambda:{region}:{account}:function:{function.function_name}"
    today = datetime.datetime.now(datetime.UTC)
    spec = InstanceSpec(
        account_id=account,
        region=region,
        function_name=function.function_name,
        function_arn=arn,
        version="$LATEST",
        runtime=function.runtime,
        handler=function.handler,
        memory_mb=function.memory_mb,
        timeout_s=function.timeout_s,
        code_dir=prepared.code_dir,
        code_sha256=prepared.code_sha256,
        log_group=f"/aws/lambda/{function.function_name}",
        log_stream=f"{today:%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}",
        environment=dict(function.environment),
        layer_dirs=prepared.layer_dirs,
        architecture=function.architecture,
        log_format=function.log_format,
        log_level=function.log_level,
    )
    sandboxes = LocalSandboxes(settings, sandbox_dir, endpoint_url=endpoint_url, pool_size=1)
    try:
        sandboxes.check_runtime(function.runtime, function.logical_id)
        instance = await sandboxes.start(spec)
        try:
            request_id = str(uuid.uuid4())
            started_ms = int(time.time() * 1000)
            invocation = Invocation(request_id, event, started_ms + function.timeout_s * 1000, arn)
            result = await instance.invoke(invocation)
            end_ms = int(time.time() * 1000)
            memory = result.max_memory_used_mb
            if memory is None:
                memory = instance.max_memory_mb()
        finally:
            await instance.stop()
    finally:
        await sandboxes.close()
    init_ms = result.init_duration_ms
    finished = Finished(
        account=account,
        region=region,
        function_name=function.function_name,
        version="$LATEST",
        request_id=request_id,
        log_group=spec.log_group,
        log_stream=spec.log_stream,
        started_ms=started_ms,
        end_ms=end_ms,
        duration_ms=result.duration_ms,
        billed_ms=billed_duration_ms(result.duration_ms, settings.billing_granularity_ms, init_ms),
        memory_mb=function.memory_mb,
        max_memory_mb=memory,
        init_ms=init_ms,
        cold=True,
        outcome=outcome(result),
        architecture=function.architecture,
        log=tuple((line.timestamp_ms, line.message) for line in result.log),
        dropped_lines=result.dropped_log_lines,
        dropped_bytes=result.dropped_log_bytes,
        system_level="INFO" if function.log_format == "JSON" else None,
        error_type=result.error_type,
        application_level=function.log_level or "INFO",
    )
    lines = tuple(line.message for line in finished.lines(memory))
    return LocalResult(result.payload, result.function_error, lines)

