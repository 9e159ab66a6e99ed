"""Lambda operations: botocore-named parameters in, the functions Registry called, botocore-named outputs out.

The wire names (FunctionConfiguration, AliasConfiguration, ...) live only here; rules and errors
live in `overcast.functions`. `code_url(sha256_hex)` builds the download URL GetFunction and the
layer operations report as Code.Location / Content.Location (the server serves the zip from
`Registry.read_code`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from overcast.api.services import OperationTable, Output, Params
from overcast.context import RequestContext
from overcast.errors import NotImplementedOperation
from overcast.functions import validation
from overcast.functions.code import CodeInput
from overcast.functions.concurrency import ProvisionedConfig
from overcast.functions.errors import InvalidParameterValue
from overcast.functions.invoke import InvokeService
from overcast.functions.names import function_arn, parse_function_ref
from overcast.functions.records import Alias, FunctionConfig, FunctionVersion, LayerVersion, LoggingConfig
from overcast.functions.registry import Registry

CodeUrl = Callable[[str], str]

# StateReason / LastUpdateStatusReason texts of the transitional states an answer may show
# (https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html).
_CREATING = ("The function is being created.", "Creating")


def lambda_time(epoch: float) -> str:
    """Lambda's timestamp text, e.g. 2026-01-01T00:00:00.000+0000."""
    millis = round(epoch * 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(millis // 1000)) + f".{millis % 1000:03d}+0000"


def configuration(version: FunctionVersion, arn: str | None = None, states: bool = True) -> Output:
    """FunctionConfiguration. List operations leave the state members out, as Lambda's do
    (https://docs.aws.amazon.com/lambda/latest/api/API_ListFunctions.html)."""
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


def _logging_in(params: dict[str, Any], current: LoggingConfig) -> LoggingConfig:
    return LoggingConfig(
        log_format=params.get("LogFormat", current.log_format),
        log_group=params.get("LogGroup", current.log_group),
        application_log_level=params.get("ApplicationLogLevel", current.application_log_level),
        system_log_level=params.get("SystemLogLevel", current.system_log_level),
    )


def alias_out(alias: Alias) -> Output:
    out: Output = {
        "AliasArn": alias.arn,
        "Name": alias.name,
        "FunctionVersion": alias.function_version,
        "Description": alias.description,
        "RevisionId": alias.revision_id,
    }
    if alias.routing:
        out["RoutingConfig"] = {"AdditionalVersionWeights": dict(alias.routing)}
    return out


def _layer_item(layer: LayerVersion) -> Output:
    out: Output = {
        "LayerVersionArn": layer.arn,
        "Version": layer.version,
        "Description": layer.description,
        "CreatedDate": lambda_time(layer.created),
    }
    if layer.compatible_runtimes:
        out["CompatibleRuntimes"] = list(layer.compatible_runtimes)
    if layer.compatible_architectures:
        out["CompatibleArchitectures"] = list(layer.compatible_architectures)
    if layer.license_info is not None:
        out["LicenseInfo"] = layer.license_info
    return out


def _code_input(params: dict[str, Any]) -> CodeInput:
    return CodeInput(
        zip_file=params.get("ZipFile"),
        s3_bucket=params.get("S3Bucket"),
        s3_key=params.get("S3Key"),
        s3_object_version=params.get("S3ObjectVersion"),
        image_uri=params.get("ImageUri"),
    )


def _routing(params: Params) -> dict[str, float] | None:
    if "RoutingConfig" not in params:
        return None
    weights = (params["RoutingConfig"] or {}).get("AdditionalVersionWeights") or {}
    return {str(version): float(weight) for version, weight in weights.items()}


def _paged(key: str, items: list[Output], marker: str | None) -> Output:
    out: Output = {key: items}
    if marker:
        out["NextMarker"] = marker
    return out


def _qualified_arn(ctx: RequestContext, version: FunctionVersion, params: Params) -> str | None:
    """A read naming a qualifier reports the ARN with that qualifier (an alias stays an alias)."""
    ref = parse_function_ref(params["FunctionName"], ctx.account_id, ctx.region, params.get("Qualifier"))
    return function_arn(ctx.account_id, ctx.region, version.name, ref.qualifier) if ref.qualifier else None


def provisioned_out(config: ProvisionedConfig, with_arn: bool = False) -> Output:
    out: Output = {
        "RequestedProvisionedConcurrentExecutions": config.requested,
        "AvailableProvisionedConcurrentExecutions": config.available,
        "AllocatedProvisionedConcurrentExecutions": config.allocated,
        "Status": config.status.value,
        "LastModified": lambda_time(config.last_modified),
    }
    if config.status_reason:
        out["StatusReason"] = config.status_reason
    if with_arn:
        out = {"FunctionArn": config.arn, **out}
    return out


def operations(registry: Registry, code_url: CodeUrl, invoker: InvokeService | None = None) -> OperationTable:
    """The Lambda operation table over `registry`; with an `invoker`, the invoke and concurrency operations too."""

    async def create_function(ctx: RequestContext, params: Params) -> Output:
        package_type = params.get("PackageType", "Zip")
        if package_type == "Zip" and (not params.get("Runtime") or not params.get("Handler")):
            # https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html (Runtime, Handler)
            raise InvalidParameterValue(
                "Runtime and Handler are mandatory parameters for functions created with deployment packages."
            )
        vpc = params.get("VpcConfig") or {}
        config = FunctionConfig(
            role=params.get("Role", ""),
            runtime=params.get("Runtime", ""),
            handler=params.get("Handler", ""),
            description=params.get("Description", ""),
            timeout=params.get("Timeout", 3),
            memory_size=params.get("MemorySize", 128),
            environment=dict((params.get("Environment") or {}).get("Variables") or {}),
            architectures=tuple(params.get("Architectures") or ("x86_64",)),
            tracing_mode=(params.get("TracingConfig") or {}).get("Mode", "PassThrough"),
            ephemeral_storage=(params.get("EphemeralStorage") or {}).get("Size", 512),
            logging=_logging_in(params.get("LoggingConfig") or {}, LoggingConfig()),
            dead_letter_target=(params.get("DeadLetterConfig") or {}).get("TargetArn") or None,
            kms_key_arn=params.get("KMSKeyArn") or None,
            subnet_ids=tuple(vpc.get("SubnetIds") or ()),
            security_group_ids=tuple(vpc.get("SecurityGroupIds") or ()),
            package_type=package_type,
        )
        version = await registry.create_function(
            ctx,
            params["FunctionName"],
            config,
            _code_input(params.get("Code") or {}),
            layers=params.get("Layers") or (),
            publish=bool(params.get("Publish")),
            tags=params.get("Tags"),
        )
        return configuration(version)

    async def get_function(ctx: RequestContext, params: Params) -> Output:
        version = await registry.get_function(ctx, params["FunctionName"], params.get("Qualifier"))
        code: Output = {"RepositoryType": "S3"}
        if version.code.local_dir is None:
            code["Location"] = code_url(version.code.sha256_hex)
        out: Output = {"Configuration": configuration(version, _qualified_arn(ctx, version, params)), "Code": code}
        tags = await registry.tagging.tags(ctx, version.function_arn)
        if tags:
            out["Tags"] = tags
        if invoker is not None:
            reserved = await invoker.concurrency.get_reserved(ctx, version.name)
            if reserved is not None:
                out["Concurrency"] = {"ReservedConcurrentExecutions": reserved}
        return out

    async def get_function_configuration(ctx: RequestContext, params: Params) -> Output:
        version = await registry.get_function(ctx, params["FunctionName"], params.get("Qualifier"))
        return configuration(version, _qualified_arn(ctx, version, params))

    async def list_functions(ctx: RequestContext, params: Params) -> Output:
        all_versions = params.get("FunctionVersion") == "ALL"
        found, marker = await registry.list_functions(ctx, all_versions, params.get("Marker"), params.get("MaxItems"))
        return _paged("Functions", [configuration(v, states=False) for v in found], marker)

    async def update_function_code(ctx: RequestContext, params: Params) -> Output:
        version = await registry.update_function_code(
            ctx,
            params["FunctionName"],
            _code_input(params),
            publish=bool(params.get("Publish")),
            revision_id=params.get("RevisionId"),
            architectures=params.get("Architectures"),
            dry_run=bool(params.get("DryRun")),
        )
        if invoker is not None and not params.get("DryRun"):
            invoker.pool.retire(ctx.account_id, ctx.region, version.name, "$LATEST")
        return configuration(version)

    async def update_function_configuration(ctx: RequestContext, params: Params) -> Output:
        changes: dict[str, Any] = {}
        simple = {"Role": "role", "Handler": "handler", "Description": "description", "Timeout": "timeout"}
        simple |= {"MemorySize": "memory_size", "Runtime": "runtime"}
        for wire, field in simple.items():
            if wire in params:
                changes[field] = params[wire]
        if "Environment" in params:
            changes["environment"] = dict((params["Environment"] or {}).get("Variables") or {})
        if "TracingConfig" in params:
            changes["tracing_mode"] = (params["TracingConfig"] or {}).get("Mode", "PassThrough")
        if "EphemeralStorage" in params:
            changes["ephemeral_storage"] = (params["EphemeralStorage"] or {}).get("Size", 512)
        if "DeadLetterConfig" in params:
            changes["dead_letter_target"] = (params["DeadLetterConfig"] or {}).get("TargetArn") or None
        if "KMSKeyArn" in params:
            changes["kms_key_arn"] = params["KMSKeyArn"] or None
        if "VpcConfig" in params:
            vpc = params["VpcConfig"] or {}
            changes["subnet_ids"] = tuple(vpc.get("SubnetIds") or ())
            changes["security_group_ids"] = tuple(vpc.get("SecurityGroupIds") or ())
        if "LoggingConfig" in params:
            current = (await registry.get_function(ctx, params["FunctionName"])).config.logging
            changes["logging"] = _logging_in(params["LoggingConfig"] or {}, current)
        version = await registry.update_function_configuration(
            ctx, params["FunctionName"], changes, layers=params.get("Layers"), revision_id=params.get("RevisionId")
        )
        if invoker is not None:
            invoker.pool.retire(ctx.account_id, ctx.region, version.name, "$LATEST")
        return configuration(version)

    async def delete_function(ctx: RequestContext, params: Params) -> Output:
        await registry.delete_function(ctx, params["FunctionName"], params.get("Qualifier"))
        if invoker is not None:
            ref = parse_function_ref(params["FunctionName"], ctx.account_id, ctx.region, params.get("Qualifier"))
            invoker.pool.retire(ctx.account_id, ctx.region, ref.name, ref.qualifier)
            await invoker.concurrency.function_deleted(ctx, params["FunctionName"], params.get("Qualifier"))
        return {}

    async def publish_version(ctx: RequestContext, params: Params) -> Output:
        version = await registry.publish_version(
            ctx,
            params["FunctionName"],
            description=params.get("Description"),
            code_sha256=params.get("CodeSha256"),
            revision_id=params.get("RevisionId"),
        )
        return configuration(version)

    async def list_versions_by_function(ctx: RequestContext, params: Params) -> Output:
        found, marker = await registry.list_versions(
            ctx, params["FunctionName"], params.get("Marker"), params.get("MaxItems")
        )
        return _paged("Versions", [configuration(v, states=False) for v in found], marker)

    async def create_alias(ctx: RequestContext, params: Params) -> Output:
        alias = await registry.aliases.create(
            ctx,
            params["FunctionName"],
            params["Name"],
            params["FunctionVersion"],
            params.get("Description", ""),
            _routing(params),
        )
        return alias_out(alias)

    async def get_alias(ctx: RequestContext, params: Params) -> Output:
        return alias_out(await registry.aliases.get(ctx, params["FunctionName"], params["Name"]))

    async def update_alias(ctx: RequestContext, params: Params) -> Output:
        alias = await registry.aliases.update(
            ctx,
            params["FunctionName"],
            params["Name"],
            function_version=params.get("FunctionVersion"),
            description=params.get("Description"),
            routing=_routing(params),
            revision_id=params.get("RevisionId"),
        )
        return alias_out(alias)

    async def delete_alias(ctx: RequestContext, params: Params) -> Output:
        await registry.aliases.delete(ctx, params["FunctionName"], params["Name"])
        if invoker is not None:
            await invoker.concurrency.function_deleted(ctx, params["FunctionName"], params["Name"])
        return {}

    async def list_aliases(ctx: RequestContext, params: Params) -> Output:
        found, marker = await registry.aliases.list_aliases(
            ctx, params["FunctionName"], params.get("FunctionVersion"), params.get("Marker"), params.get("MaxItems")
        )
        return _paged("Aliases", [alias_out(a) for a in found], marker)

    def layer_out(layer: LayerVersion) -> Output:
        out = _layer_item(layer)
        out["LayerArn"] = layer.layer_arn
        out["Content"] = {
            "Location": code_url(layer.code.sha256_hex),
            "CodeSha256": layer.code.code_sha256,
            "CodeSize": layer.code.size,
        }
        return out

    async def publish_layer_version(ctx: RequestContext, params: Params) -> Output:
        layer = await registry.layers.publish(
            ctx,
            params["LayerName"],
            _code_input(params.get("Content") or {}),
            description=params.get("Description", ""),
            compatible_runtimes=params.get("CompatibleRuntimes") or (),
            compatible_architectures=params.get("CompatibleArchitectures") or (),
            license_info=params.get("LicenseInfo"),
        )
        return layer_out(layer)

    async def get_layer_version(ctx: RequestContext, params: Params) -> Output:
        return layer_out(await registry.layers.get(ctx, params["LayerName"], int(params["VersionNumber"])))

    async def get_layer_version_by_arn(ctx: RequestContext, params: Params) -> Output:
        return layer_out(await registry.layers.get_by_arn(ctx, params["Arn"]))

    async def delete_layer_version(ctx: RequestContext, params: Params) -> Output:
        await registry.layers.delete(ctx, params["LayerName"], int(params["VersionNumber"]))
        return {}

    async def list_layers(ctx: RequestContext, params: Params) -> Output:
        found, marker = await registry.layers.list_layers(
            ctx,
            params.get("CompatibleRuntime"),
            params.get("CompatibleArchitecture"),
            params.get("Marker"),
            params.get("MaxItems"),
        )
        items = [
            {"LayerName": layer.name, "LayerArn": layer.layer_arn, "LatestMatchingVersion": _layer_item(layer)}
            for layer in found
        ]
        return _paged("Layers", items, marker)

    async def list_layer_versions(ctx: RequestContext, params: Params) -> Output:
        found, marker = await registry.layers.list_versions(
            ctx,
            params["LayerName"],
            params.get("CompatibleRuntime"),
            params.get("CompatibleArchitecture"),
            params.get("Marker"),
            params.get("MaxItems"),
        )
        return _paged("LayerVersions", [_layer_item(layer) for layer in found], marker)

    async def tag_resource(ctx: RequestContext, params: Params) -> Output:
        await registry.tagging.tag(ctx, params["Resource"], params.get("Tags") or {})
        return {}

    async def untag_resource(ctx: RequestContext, params: Params) -> Output:
        await registry.tagging.untag(ctx, params["Resource"], params.get("TagKeys") or [])
        return {}

    async def list_tags(ctx: RequestContext, params: Params) -> Output:
        return {"Tags": await registry.tagging.tags(ctx, params["Resource"])}

    async def get_account_settings(ctx: RequestContext, params: Params) -> Output:
        usage = await registry.account_usage(ctx)
        # https://docs.aws.amazon.com/lambda/latest/api/API_GetAccountSettings.html: the unreserved share
        # is the limit minus reserved concurrency and the provisioned concurrency of unreserved functions.
        limit, unreserved = validation.CONCURRENT_EXECUTIONS, validation.CONCURRENT_EXECUTIONS
        if invoker is not None:
            limit = invoker.concurrency.limit
            unreserved = invoker.concurrency.unreserved(ctx.account_id, ctx.region)
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

    table: OperationTable = {
        "CreateFunction": create_function,
        "GetFunction": get_function,
        "GetFunctionConfiguration": get_function_configuration,
        "ListFunctions": list_functions,
        "UpdateFunctionCode": update_function_code,
        "UpdateFunctionConfiguration": update_function_configuration,
        "DeleteFunction": delete_function,
        "PublishVersion": publish_version,
        "ListVersionsByFunction": list_versions_by_function,
        "CreateAlias": create_alias,
        "GetAlias": get_alias,
        "UpdateAlias": update_alias,
        "DeleteAlias": delete_alias,
        "ListAliases": list_aliases,
        "PublishLayerVersion": publish_layer_version,
        "GetLayerVersion": get_layer_version,
        "GetLayerVersionByArn": get_layer_version_by_arn,
        "DeleteLayerVersion": delete_layer_version,
        "ListLayers": list_layers,
        "ListLayerVersions": list_layer_versions,
        "TagResource": tag_resource,
        "UntagResource": untag_resource,
        "ListTags": list_tags,
        "GetAccountSettings": get_account_settings,
    }
    if invoker is not None:
        table.update(_execution_operations(invoker))
    return table


def _execution_operations(invoker: InvokeService) -> OperationTable:
    """Invoke and the concurrency operations."""
    concurrency = invoker.concurrency

    async def invoke(ctx: RequestContext, params: Params) -> Output:
        result = await invoker.invoke(
            ctx,
            params["FunctionName"],
            params.get("Payload") or b"",
            qualifier=params.get("Qualifier"),
            invocation_type=params.get("InvocationType") or "RequestResponse",
            log_type=params.get("LogType") or "None",
            client_context=params.get("ClientContext"),
        )
        out: Output = {"StatusCode": result.status_code, "ExecutedVersion": result.executed_version}
        if result.status_code != 204:
            out["Payload"] = result.payload
        if result.function_error is not None:
            out["FunctionError"] = result.function_error
        if result.log_result is not None:
            out["LogResult"] = result.log_result
        return out

    async def invoke_async(ctx: RequestContext, params: Params) -> Output:
        # https://docs.aws.amazon.com/lambda/latest/api/API_InvokeAsync.html (deprecated): comes with the
        # asynchronous invocation queue.
        raise NotImplementedOperation("InvokeAsync (asynchronous invocation) is not implemented by Overcast yet.")

    async def put_function_concurrency(ctx: RequestContext, params: Params) -> Output:
        reserved = await concurrency.put_reserved(ctx, params["FunctionName"], params["ReservedConcurrentExecutions"])
        return {"ReservedConcurrentExecutions": reserved}

    async def get_function_concurrency(ctx: RequestContext, params: Params) -> Output:
        reserved = await concurrency.get_reserved(ctx, params["FunctionName"])
        return {} if reserved is None else {"ReservedConcurrentExecutions": reserved}

    async def delete_function_concurrency(ctx: RequestContext, params: Params) -> Output:
        await concurrency.delete_reserved(ctx, params["FunctionName"])
        return {}

    async def put_provisioned(ctx: RequestContext, params: Params) -> Output:
        config = await concurrency.put_provisioned(
            ctx, params["FunctionName"], params.get("Qualifier"), params["ProvisionedConcurrentExecutions"]
        )
        return provisioned_out(config)

    async def get_provisioned(ctx: RequestContext, params: Params) -> Output:
        return provisioned_out(await concurrency.get_provisioned(ctx, params["FunctionName"], params.get("Qualifier")))

    async def delete_provisioned(ctx: RequestContext, params: Params) -> Output:
        await concurrency.delete_provisioned(ctx, params["FunctionName"], params.get("Qualifier"))
        return {}

    async def list_provisioned(ctx: RequestContext, params: Params) -> Output:
        found, marker = await concurrency.list_provisioned(
            ctx, params["FunctionName"], params.get("Marker"), params.get("MaxItems")
        )
        return _paged("ProvisionedConcurrencyConfigs", [provisioned_out(c, with_arn=True) for c in found], marker)

    return {
        "Invoke": invoke,
        "InvokeAsync": invoke_async,
        "PutFunctionConcurrency": put_function_concurrency,
        "GetFunctionConcurrency": get_function_concurrency,
        "DeleteFunctionConcurrency": delete_function_concurrency,
        "PutProvisionedConcurrencyConfig": put_provisioned,
        "GetProvisionedConcurrencyConfig": get_provisioned,
        "DeleteProvisionedConcurrencyConfig": delete_provisioned,
        "ListProvisionedConcurrencyConfigs": list_provisioned,
    }
