"""Lambda's function operations: functions, versions, tags and account settings, with the wire shapes they share.

Module-level handlers over `Lambda`, the services Lambda's operations call; `lambda_.py` assembles
the table. The wire names (FunctionConfiguration, ...) live only in `api/services/lambda_*.py`; rules
and errors live in `overcast.functions`. `code_url(sha256_hex)` builds the download URL GetFunction
and the layer operations report as Code.Location / Content.Location (the server serves the zip from
`Registry.read_code`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from overcast.api.services import Output, Params, Unbound
from overcast.context import RequestContext
from overcast.functions import validation
from overcast.functions.code import CodeInput
from overcast.functions.errors import InvalidParameterValue
from overcast.functions.invoke import InvokeService
from overcast.functions.names import function_arn, parse_function_ref, runtime_version_arn
from overcast.functions.records import FunctionConfig, FunctionVersion, LoggingConfig
from overcast.functions.registry import Registry

CodeUrl = Callable[[str], str]
FunctionUrlOf = Callable[[str, str], str]

# StateReason / LastUpdateStatusReason texts of the transitional states an answer may show
# (https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html).
_CREATING = ("The function is being created.", "Creating")


@dataclass(frozen=True, slots=True)
class Lambda:
    """What Lambda's control-plane operations call."""

    registry: Registry  # functions and versions; its aliases, layers and tagging
    code_url: CodeUrl
    # The execution side, when there is one: its instances are retired and its concurrency settings
    # forgotten as functions change, and GetFunction / GetAccountSettings report its concurrency.
    invoker: InvokeService | None = None
    # A function URL's address from its id and region (gateway/function_urls.py serves it).
    function_url: FunctionUrlOf = lambda url_id, region: f"http://{url_id}.lambda-url.{region}.localhost:4566/"


def lambda_time(epoch: float) -> str:
    """Lambda's timestamp text, e.g. 2026-01-01T00:00:00.000+0000."""
    millis = round(epoch * 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(millis // 1000)) + f".{millis % 1000:03d}+0000"


def listed(key: str, items: list[Output], marker: str | None) -> Output:
    """A List* answer: the page's items under `key`, and NextMarker when there is a next page."""
    out: Output = {key: items}
    if marker:
        out["NextMarker"] = marker
    return out


def code_input(params: Params) -> CodeInput:
    return CodeInput(
        zip_file=params.get("ZipFile"),
        s3_bucket=params.get("S3Bucket"),
        s3_key=params.get("S3Key"),
        s3_object_version=params.get("S3ObjectVersion"),
        image_uri=params.get("ImageUri"),
    )


def configuration(
    version: FunctionVersion, arn: str | None = None, states: bool = True, runtime_version: str | None = None
) -> Output:
    """FunctionConfiguration. List operations leave the state members and RuntimeVersionConfig out, as
    Lambda's do (https://docs.aws.amazon.com/lambda/latest/api/API_ListFunctions.html); `runtime_version`
    is the runtime version a Manual runtime management config pins."""
    config = version.config
    out: Output = {
        "FunctionName": version.name,
        "FunctionArn": arn or version.arn,
        "Runtime": config.runtime,
        "Role": config.role,
        "Handler": config.handler,
        "CodeSize": version.code.size,
        "Description": config.description,
        "Timeout": config.timeout,
        "MemorySize": config.memory_size,
        "LastModified": lambda_time(version.last_modified),
        "CodeSha256": version.code.code_sha256,
        "Version": version.version,
        "TracingConfig": {"Mode": config.tracing_mode},
        "RevisionId": version.revision_id,
        "PackageType": config.package_type,
        "Architectures": list(config.architectures),
        "EphemeralStorage": {"Size": config.ephemeral_storage},
        "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"},
        "LoggingConfig": _logging_out(config.logging),
    }
    if config.environment:
        out["Environment"] = {"Variables": dict(config.environment)}
    if config.layers:
        out["Layers"] = [{"Arn": layer.arn, "CodeSize": layer.code_size} for layer in config.layers]
    if config.dead_letter_target:
        out["DeadLetterConfig"] = {"TargetArn": config.dead_letter_target}
    if config.kms_key_arn:
        out["KMSKeyArn"] = config.kms_key_arn
    if config.subnet_ids or config.security_group_ids:
        out["VpcConfig"] = {
            "SubnetIds": list(config.subnet_ids),
            "SecurityGroupIds": list(config.security_group_ids),
            "VpcId": "",
        }
    if states:
        if config.runtime:
            # A function on a managed runtime reports the runtime version it runs
            # (https://docs.aws.amazon.com/lambda/latest/api/API_RuntimeVersionConfig.html); an image has none.
            pinned = runtime_version or runtime_version_arn(version.region, config.runtime)
            out["RuntimeVersionConfig"] = {"RuntimeVersionArn": pinned}
        out["State"] = version.state
        if version.state == "Pending":
            out["StateReason"], out["StateReasonCode"] = _CREATING
        if version.last_update_status:
            out["LastUpdateStatus"] = version.last_update_status
            if version.last_update_status == "InProgress":
                out["LastUpdateStatusReason"], out["LastUpdateStatusReasonCode"] = _CREATING
    return out


def _logging_out(logging: LoggingConfig) -> Output:
    out: Output = {"LogFormat": logging.log_format, "LogGroup": logging.log_group}
    if logging.application_log_level:
        out["ApplicationLogLevel"] = logging.application_log_level
    if logging.system_log_level:
        out["SystemLogLevel"] = logging.system_log_level
    return out


def _logging_in(params: Params, current: LoggingConfig) -> LoggingConfig:
    """The LoggingConfig a request sets over `current`. With the JSON format, a level not given keeps the
    current one or is INFO, as GetFunctionConfiguration then reports it; the Text format has no levels
    (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html)."""
    log_format = params.get("LogFormat", current.log_format)
    application, system = params.get("ApplicationLogLevel"), params.get("SystemLogLevel")
    validation.logging_config(log_format, params.get("LogGroup"), application, system)
    if log_format == "JSON":
        was_json = current.log_format == "JSON"
        application = application or (current.application_log_level if was_json else None) or "INFO"
        system = system or (current.system_log_level if was_json else None) or "INFO"
    return LoggingConfig(
        log_format=log_format,
        log_group=params.get("LogGroup", current.log_group),
        application_log_level=application,
        system_log_level=system,
    )


def _qualified_arn(ctx: RequestContext, version: FunctionVersion, params: Params) -> str | None:
    """A read naming a qualifier reports the ARN with that qualifier (an alias stays an alias)."""
    ref = parse_function_ref(params["FunctionName"], ctx.account_id, ctx.region, params.get("Qualifier"))
    return function_arn(ctx.account_id, ctx.region, version.name, ref.qualifier) if ref.qualifier else None


async def _pinned_runtime(s: Lambda, ctx: RequestContext, version: FunctionVersion) -> str | None:
    """The runtime version PutRuntimeManagementConfig pinned with UpdateRuntimeOn Manual, which the version's
    RuntimeVersionConfig then reports (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-update.html)."""
    if not version.config.runtime:
        return None
    managed = await s.registry.options.runtime_management(ctx, version.name, version.version)
    return managed.runtime_version_arn if managed.update_runtime_on == "Manual" else None


def _retire_latest(s: Lambda, ctx: RequestContext, version: FunctionVersion) -> None:
    """$LATEST changed: its warm instances run the old code or configuration."""
    if s.invoker is not None:
        s.invoker.pool.retire(ctx.account_id, ctx.region, version.name, "$LATEST")


# --- functions -----------------------------------------------------------------------------------------


async def create_function(s: Lambda, ctx: RequestContext, p: Params) -> Output:
    package_type = p.get("PackageType", "Zip")
    if package_type == "Zip" and (not p.get("Runtime") or not p.get("Handler")):
        # https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html (Runtime, Handler)
        raise InvalidParameterValue(
            "Runtime and Handler are mandatory parameters for functions created with deployment packages."
        )
    vpc = p.get("VpcConfig") or {}
    config = FunctionConfig(
        role=p.get("Role", ""),
        runtime=p.get("Runtime", ""),
        handler=p.get("Handler", ""),
        description=p.get("Description", ""),
        timeout=p.get("Timeout", 3),
        memory_size=p.get("MemorySize", 128),
        environment=dict((p.get("Environment") or {}).get("Variables") or {}),
        architectures=tuple(p.get("Architectures") or ("x86_64",)),
        tracing_mode=(p.get("TracingConfig") or {}).get("Mode", "PassThrough"),
        ephemeral_storage=(p.get("EphemeralStorage") or {}).get("Size", 512),
        logging=_logging_in(p.get("LoggingConfig") or {}, LoggingConfig()),
        dead_letter_target=(p.get("DeadLetterConfig") or {}).get("TargetArn") or None,
        kms_key_arn=p.get("KMSKeyArn") or None,
        subnet_ids=tuple(vpc.get("SubnetIds") or ()),
        security_group_ids=tuple(vpc.get("SecurityGroupIds") or ()),
        package_type=package_type,
    )
    version = await s.registry.create_function(
        ctx,
        p["FunctionName"],
        config,
        code_input(p.get("Code") or {}),
        layers=p.get("Layers") or (),
        publish=bool(p.get("Publish")),
        tags=p.get("Tags"),
    )
    return configuration(version)


async def get_function(s: Lambda, ctx: RequestContext, p: Params) -> Output:
    version = await s.registry.get_function(ctx, p["FunctionName"], p.get("Qualifier"))
    code: Output = {"RepositoryType": "S3"}
    if version.code.local_dir is None:
        code["Location"] = s.code_url(version.code.sha256_hex)
    pinned = await _pinned_runtime(s, ctx, version)
    out: Output = {"Configuration": configuration(version, _qualified_arn(ctx, version, p), runtime_version=pinned)}
    out["Code"] = code
    tags = await s.registry.tagging.tags(ctx, version.function_arn)
    if tags:
        out["Tags"] = tags
    if s.invoker is not None:
        reserved = await s.invoker.concurrency.get_reserved(ctx, version.name)
        if reserved is not None:
            out["Concurrency"] = {"ReservedConcurrentExecutions": reserved}
    return out


async def get_function_configuration(s: Lambda, ctx: RequestContext, p: Params) -> Output:
    version = await s.registry.get_function(ctx, p["FunctionName"], p.get("Qualifier"))
    pinned = await _pinned_runtime(s, ctx, version)
    return configuration(version, _qualified_arn(ctx, version, p), runtime_version=pinned)


async def list_functions(s: Lambda, ctx: RequestContext, p: Params) -> Output:
    all_versions = p.get("FunctionVersion") == "ALL"
    found, marker = await s.registry.list_functions(ctx, all_versions, p.get("Marker"), p.get("MaxItems"))
    return listed("Functions", [configuration(v, states=False) for v in found], marker)


async def update_function_code(s: Lambda, ctx: RequestContext, p: Params) -> Output:
    version = await s.registry.update_function_code(
        ctx,
        p["FunctionName"],
        code_input(p),
        publish=bool(p.get("Publish")),
        revision_id=p.get("RevisionId"),
        architectures=p.get("Architectures"),
        dry_run=bool(p.get("DryRun")),
    )
    if not p.get("DryRun"):
        _retire_latest(s, ctx, version)
    return configuration(version)


# UpdateFunctionConfiguration's members that map one to one onto FunctionConfig fields.
_SIMPLE = {
    "Role": "role",
    "Handler": "handler",
    "Description": "description",
    "Timeout": "timeout",
    "MemorySize": "memory_size",
    "Runtime": "runtime",
}


async def update_function_configuration(s: Lambda, ctx: RequestContext, p: Params) -> Output:
    changes: dict[str, Any] = {field: p[wire] for wire, field in _SIMPLE.items() if wire in p}
    if "Environment" in p:
        changes["environment"] = dict((p["Environment"] or {}).get("Variables") or {})
    if "TracingConfig" in p:
        changes["tracing_mode"] = (p["TracingConfig"] or {}).get("Mode", "PassThrough")
    if "EphemeralStorage" in p:
        changes["ephemeral_storage"] = (p["EphemeralStorage"] or {}).get("Size", 512)
    if "DeadLetterConfig" in p:
        changes["dead_letter_target"] = (p["DeadLetterConfig"] or {}).get("TargetArn") or None
    if "KMSKeyArn" in p:
        changes["kms_key_arn"] = p["KMSKeyArn"] or None
    if "VpcConfig" in p:
        vpc = p["VpcConfig"] or {}
        changes["subnet_ids"] = tuple(vpc.get("SubnetIds") or ())
        changes["security_group_ids"] = tuple(vpc.get("SecurityGroupIds") or ())
    if "LoggingConfig" in p:
        current = (await s.registry.get_function(ctx, p["FunctionName"])).config.logging
        changes["logging"] = _logging_in(p["LoggingConfig"] or {}, current)
    version = await s.registry.update_function_configuration(
        ctx, p["FunctionName"], changes, layers=p.get("Layers"), revision_id=p.get("RevisionId")
    )
    _retire_latest(s, ctx, version)
    return configuration(version)


async def delete_function(s: Lambda, ctx: RequestContext, p: Params) -> Output:
    await s.registry.delete_function(ctx, p["FunctionName"], p.get("Qualifier"))
    if s.invoker is not None:
        await s.invoker.function_deleted(ctx, p["FunctionName"], p.get("Qualifier"))
    return {}


# --- versions ------------------------------------------------------------------------------------------


async def publish_version(s: Lambda, ctx: RequestContext, p: Params) -> Output:
    version = await s.registry.publish_version(
        ctx,
        p["FunctionName"],
        description=p.get("Description"),
        code_sha256=p.get("CodeSha256"),
        revision_id=p.get("RevisionId"),
    )
    return configuration(version)


async def list_versions_by_function(s: Lambda, ctx: RequestContext, p: Params) -> Output:
    found, marker = await s.registry.list_versions(ctx, p["FunctionName"], p.get("Marker"), p.get("MaxItems"))
    return listed("Versions", [configuration(v, states=False) for v in found], marker)


# --- tags and account ----------------------------------------------------------------------------------


async def tag_resource(s: Lambda, ctx: RequestContext, p: Params) -> Output:
    await s.registry.tagging.tag(ctx, p["Resource"], p.get("Tags") or {})
    return {}


async def untag_resource(s: Lambda, ctx: RequestContext, p: Params) -> Output:
    await s.registry.tagging.untag(ctx, p["Resource"], p.get("TagKeys") or [])
    return {}


async def list_tags(s: Lambda, ctx: RequestContext, p: Params) -> Output:
    return {"Tags": await s.registry.tagging.tags(ctx, p["Resource"])}


async def get_account_settings(s: Lambda, ctx: RequestContext, p: Params) -> Output:
    usage = await s.registry.account_usage(ctx)
    # https://docs.aws.amazon.com/lambda/latest/api/API_GetAccountSettings.html: the unreserved share
    # is the limit minus reserved concurrency and the provisioned concurrency of unreserved functions.
    limit, unreserved = validation.CONCURRENT_EXECUTIONS, validation.CONCURRENT_EXECUTIONS
    if s.invoker is not None:
        limit = s.invoker.concurrency.limit
        unreserved = s.invoker.concurrency.unreserved(ctx.account_id, ctx.region)
    return {
        "AccountLimit": {
            "TotalCodeSize": validation.TOTAL_CODE_SIZE,
            "CodeSizeUnzipped": validation.CODE_SIZE_UNZIPPED,
            "CodeSizeZipped": validation.CODE_SIZE_ZIPPED,
            "ConcurrentExecutions": limit,
            "UnreservedConcurrentExecutions": unreserved,
        },
        "AccountUsage": {"TotalCodeSize": usage.total_code_size, "FunctionCount": usage.function_count},
    }


HANDLERS: Mapping[str, Unbound[Lambda]] = {
    "CreateFunction": create_function,
    "GetFunction": get_function,
    "GetFunctionConfiguration": get_function_configuration,
    "ListFunctions": list_functions,
    "UpdateFunctionCode": update_function_code,
    "UpdateFunctionConfiguration": update_function_configuration,
    "DeleteFunction": delete_function,
    "PublishVersion": publish_version,
    "ListVersionsByFunction": list_versions_by_function,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTags": list_tags,
    "GetAccountSettings": get_account_settings,
}
