"""Lambda's CloudFormation types: Function, Version, Alias, Permission and Url (+ layers, event invoke configs).

Each provider calls Lambda's domain services (`functions/`) with the stack's RequestContext, so a
function made by a stack is the one CreateFunction would have made. Properties, and the values of
Ref and Fn::GetAtt, are as the CloudFormation template reference documents each type
(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/AWS_Lambda.html). Layers are in
`lambda_layers.py`, event invoke configs in `lambda_event_invoke.py`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import stat
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from overcast.errors import ResourceNotFound
from overcast.functions import validation
from overcast.functions.code import CodeInput
from overcast.functions.concurrency import ProvisionedConfigNotFound
from overcast.functions.invoke import InvokeService
from overcast.functions.names import function_arn, parse_function_ref
from overcast.functions.permissions import Grant
from overcast.functions.records import LATEST, FunctionConfig, LoggingConfig
from overcast.functions.registry import Registry
from overcast.functions.urls import Cors, UrlChange
from overcast.templates.providers.base import Made, Providers, ResourceRequest, Unsupported
from overcast.templates.providers.tags import removed, tag_map

# Function properties that UpdateFunctionConfiguration changes (the rest: code, tags, concurrency, options).
_CONFIGURATION = (
    "Role", "Runtime", "Handler", "Description", "Timeout", "MemorySize", "Environment", "Architectures",
    "TracingConfig", "EphemeralStorage", "LoggingConfig", "DeadLetterConfig", "KmsKeyArn", "VpcConfig", "Layers",
)  # fmt: skip


def inline_zip(source: str, runtime: str) -> bytes:
    """A ZipFile's source as CloudFormation packages it: one file named index (index.js for Node.js,
    index.py otherwise), so the handler is `index.<function>`
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-lambda-function-code.html).
    The archive is the same for the same source, so an unchanged ZipFile keeps the function's CodeSha256."""
    name = "index.js" if runtime.startswith("nodejs") else "index.py"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = (stat.S_IFREG | 0o644) << 16
        archive.writestr(info, source)
    return buffer.getvalue()


def code_input(code: Mapping[str, Any], runtime: str) -> CodeInput:
    """Code {ZipFile | S3Bucket, S3Key, S3ObjectVersion | ImageUri}. S3Bucket may be `hot-reload` (a local
    directory) or `overcast-artifacts` (what `overcast deploy` uploaded); functions/code.py resolves both."""
    source = code.get("ZipFile")
    return CodeInput(
        zip_file=inline_zip(source, runtime) if isinstance(source, str) else None,
        s3_bucket=code.get("S3Bucket"),
        s3_key=code.get("S3Key"),
        s3_object_version=code.get("S3ObjectVersion"),
        image_uri=code.get("ImageUri"),
    )


def _logging(given: Mapping[str, Any]) -> LoggingConfig:
    """LoggingConfig; with the JSON format, a level not given is INFO, as Lambda reports it
    (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html)."""
    log_format = given.get("LogFormat", "Text")
    application, system = given.get("ApplicationLogLevel"), given.get("SystemLogLevel")
    validation.logging_config(log_format, given.get("LogGroup"), application, system)
    if log_format == "JSON":
        application, system = application or "INFO", system or "INFO"
    return LoggingConfig(log_format, given.get("LogGroup") or "", application, system)


def _configuration(p: Mapping[str, Any]) -> FunctionConfig:
    """The function's configuration from its properties, Lambda's defaults where a property is absent."""
    vpc = p.get("VpcConfig") or {}
    return FunctionConfig(
        role=p.get("Role", ""),
        runtime=p.get("Runtime", ""),
        handler=p.get("Handler", ""),
        description=p.get("Description", ""),
        timeout=int(p.get("Timeout", 3)),
        memory_size=int(p.get("MemorySize", 128)),
        environment={k: str(v) for k, v in ((p.get("Environment") or {}).get("Variables") or {}).items()},
        architectures=tuple(p.get("Architectures") or ("x86_64",)),
        tracing_mode=(p.get("TracingConfig") or {}).get("Mode", "PassThrough"),
        ephemeral_storage=int((p.get("EphemeralStorage") or {}).get("Size", 512)),
        logging=_logging(p.get("LoggingConfig") or {}),
        dead_letter_target=(p.get("DeadLetterConfig") or {}).get("TargetArn") or None,
        kms_key_arn=p.get("KmsKeyArn") or None,
        subnet_ids=tuple(vpc.get("SubnetIds") or ()),
        security_group_ids=tuple(vpc.get("SecurityGroupIds") or ()),
        package_type=p.get("PackageType", "Zip"),
    )


def _changed(p: Mapping[str, Any], previous: Mapping[str, Any], names: tuple[str, ...]) -> bool:
    return any(p.get(name) != previous.get(name) for name in names)


@dataclass(frozen=True, slots=True)
class FunctionProvider:
    """AWS::Lambda::Function. Ref: the function's name; GetAtt: Arn, SnapStartResponse.ApplyOn and
    SnapStartResponse.OptimizationStatus
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-function.html)."""

    registry: Registry
    invoker: InvokeService | None = None

    def _made(self, request: ResourceRequest, name: str) -> Made:
        arn = function_arn(request.ctx.account_id, request.ctx.region, name)
        return Made(
            name, {"Arn": arn, "SnapStartResponse.ApplyOn": "None", "SnapStartResponse.OptimizationStatus": "Off"}
        )

    async def create(self, request: ResourceRequest) -> Made:
        p, ctx = request.properties, request.ctx
        name = p.get("FunctionName") or request.physical_name(64)
        config = _configuration(p)
        await self.registry.create_function(
            ctx,
            name,
            config,
            code_input(p.get("Code") or {}, config.runtime),
            layers=p.get("Layers") or (),
            tags=tag_map(p.get("Tags")),
        )
        try:
            await self._options(request, name, {})
        except BaseException:
            await self.delete(request, self._made(request, name))  # a resource fails whole, as on AWS
            raise
        return self._made(request, name)

    async def _options(self, request: ResourceRequest, name: str, previous: Mapping[str, Any]) -> None:
        """What Lambda sets beside the function: reserved concurrency, runtime management, recursion."""
        p, ctx = request.properties, request.ctx
        if self.invoker is not None and p.get("ReservedConcurrentExecutions") != previous.get(
            "ReservedConcurrentExecutions"
        ):
            reserved = p.get("ReservedConcurrentExecutions")
            if reserved is None:
                await self.invoker.concurrency.delete_reserved(ctx, name)
            else:
                await self.invoker.concurrency.put_reserved(ctx, name, int(reserved))
        if p.get("RuntimeManagementConfig") != previous.get("RuntimeManagementConfig"):
            managed = p.get("RuntimeManagementConfig") or {"UpdateRuntimeOn": "Auto"}
            await self.registry.options.set_runtime_management(
                ctx, name, None, managed["UpdateRuntimeOn"], managed.get("RuntimeVersionArn")
            )
        if p.get("RecursiveLoop") != previous.get("RecursiveLoop"):
            await self.registry.options.set_recursion(ctx, name, p.get("RecursiveLoop") or "Terminate")

    async def update(self, request: ResourceRequest, current: Made, previous: Mapping[str, Any]) -> Made:
        """What UpdateFunctionConfiguration, UpdateFunctionCode, TagResource / UntagResource and the
        concurrency and option operations change, each only when its properties changed."""
        p, ctx, name = request.properties, request.ctx, current.ref
        changed = False
        if _changed(p, previous, _CONFIGURATION):
            config = _configuration(p)
            if not config.logging.log_group:  # as CreateFunction names it
                logging = dataclasses.replace(config.logging, log_group=f"/aws/lambda/{name}")
                config = dataclasses.replace(config, logging=logging)
            changes = {k: getattr(config, k) for k in FunctionConfig.__slots__ if k not in ("layers", "package_type")}
            await self.registry.update_function_configuration(ctx, name, changes, layers=p.get("Layers") or [])
            changed = True
        inline = "ZipFile" in (p.get("Code") or {})  # index.py or index.js: the runtime names the file
        if _changed(p, previous, ("Code", "Architectures", *(("Runtime",) if inline else ()))):
            code = code_input(p.get("Code") or {}, p.get("Runtime", ""))
            architectures = p.get("Architectures") or ["x86_64"]
            await self.registry.update_function_code(ctx, name, code, architectures=architectures)
            changed = True
        if changed and self.invoker is not None:  # warm instances run the old code or configuration
            self.invoker.pool.retire(ctx.account_id, ctx.region, name, LATEST)
        if p.get("Tags") != previous.get("Tags"):
            arn = function_arn(ctx.account_id, ctx.region, name)
            gone, tags = removed(previous.get("Tags"), p.get("Tags")), tag_map(p.get("Tags"))
            if gone:
                await self.registry.tagging.untag(ctx, arn, gone)
            if tags:
                await self.registry.tagging.tag(ctx, arn, tags)
        await self._options(request, name, previous)
        return self._made(request, name)

    async def delete(self, request: ResourceRequest, current: Made) -> None:
        ctx = request.ctx
        try:
            await self.registry.delete_function(ctx, current.ref)
        except ResourceNotFound:
            return
        if self.invoker is not None:
            await self.invoker.function_deleted(ctx, current.ref, None)


@dataclass(frozen=True, slots=True)
class VersionProvider:
    """AWS::Lambda::Version: PublishVersion. Ref: the version's ARN; GetAtt: FunctionArn (the version's
    ARN) and Version (its number)
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-version.html)."""

    registry: Registry
    invoker: InvokeService | None = None

    async def create(self, request: ResourceRequest) -> Made:
        p = request.properties
        version = await self.registry.publish_version(
            request.ctx, p["FunctionName"], description=p.get("Description"), code_sha256=p.get("CodeSha256")
        )
        await self._provisioned(request, version.name, version.version, p.get("ProvisionedConcurrencyConfig"))
        return Made(version.arn, {"FunctionArn": version.arn, "Version": version.version})

    async def _provisioned(self, request: ResourceRequest, name: str, number: str, given: Any) -> None:
        if self.invoker is None:
            return
        if given:
            await self.invoker.concurrency.put_provisioned(
                request.ctx, name, number, int(given["ProvisionedConcurrentExecutions"])
            )
        else:
            with contextlib.suppress(ProvisionedConfigNotFound):  # none to remove
                await self.invoker.concurrency.delete_provisioned(request.ctx, name, number)

    async def update(self, request: ResourceRequest, current: Made, previous: Mapping[str, Any]) -> Made:
        """Only ProvisionedConcurrencyConfig (and RuntimePolicy) change in place; the rest replaces."""
        given = request.properties.get("ProvisionedConcurrencyConfig")
        if given != previous.get("ProvisionedConcurrencyConfig"):
            ref = parse_function_ref(current.ref, request.ctx.account_id, request.ctx.region)
            await self._provisioned(request, ref.name, str(current.attributes["Version"]), given)
        return current

    async def delete(self, request: ResourceRequest, current: Made) -> None:
        ref = parse_function_ref(current.ref, request.ctx.account_id, request.ctx.region)
        with contextlib.suppress(ResourceNotFound):
            await self.registry.delete_function(request.ctx, ref.name, ref.qualifier)


def _routing(p: Mapping[str, Any]) -> dict[str, float]:
    weights = (p.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or []
    return {str(w["FunctionVersion"]): float(w["FunctionWeight"]) for w in weights}


@dataclass(frozen=True, slots=True)
class AliasProvider:
    """AWS::Lambda::Alias. Ref: the alias' ARN; GetAtt: AliasArn
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-alias.html)."""

    registry: Registry
    invoker: InvokeService | None = None

    async def create(self, request: ResourceRequest) -> Made:
        p = request.properties
        alias = await self.registry.aliases.create(
            request.ctx, p["FunctionName"], p["Name"], str(p["FunctionVersion"]), p.get("Description", ""),
            _routing(p),
        )  # fmt: skip
        await self._provisioned(request, alias.function_name, alias.name, p.get("ProvisionedConcurrencyConfig"), None)
        return Made(alias.arn, {"AliasArn": alias.arn})

    async def _provisioned(self, request: ResourceRequest, name: str, alias: str, given: Any, before: Any) -> None:
        if self.invoker is None or given == before:
            return
        if given:
            count = int(given["ProvisionedConcurrentExecutions"])
            await self.invoker.concurrency.put_provisioned(request.ctx, name, alias, count)
        else:
            await self.invoker.concurrency.delete_provisioned(request.ctx, name, alias)

    async def update(self, request: ResourceRequest, current: Made, previous: Mapping[str, Any]) -> Made:
        p = request.properties
        alias = await self.registry.aliases.update(
            request.ctx, p["FunctionName"], p["Name"], function_version=str(p["FunctionVersion"]),
            description=p.get("Description", ""), routing=_routing(p),
        )  # fmt: skip
        await self._provisioned(
            request, alias.function_name, alias.name, p.get("ProvisionedConcurrencyConfig"),
            previous.get("ProvisionedConcurrencyConfig"),
        )  # fmt: skip
        return Made(alias.arn, {"AliasArn": alias.arn})

    async def delete(self, request: ResourceRequest, current: Made) -> None:
        ref = parse_function_ref(current.ref, request.ctx.account_id, request.ctx.region)
        try:
            await self.registry.aliases.delete(request.ctx, ref.name, ref.qualifier or "")
        except ResourceNotFound:
            return
        if self.invoker is not None:
            self.invoker.pool.retire(request.ctx.account_id, request.ctx.region, ref.name, ref.qualifier)


@dataclass(frozen=True, slots=True)
class PermissionProvider:
    """AWS::Lambda::Permission: AddPermission with a statement id CloudFormation makes from the stack and
    logical id. Ref and GetAtt Id: that statement id. Every property is create-only, so a change replaces it
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-permission.html)."""

    registry: Registry

    async def create(self, request: ResourceRequest) -> Made:
        p = request.properties
        statement_id = request.physical_name(100)
        grant = Grant(
            statement_id=statement_id,
            action=p["Action"],
            principal=p["Principal"],
            source_arn=p.get("SourceArn"),
            source_account=p.get("SourceAccount"),
            principal_org_id=p.get("PrincipalOrgID"),
            event_source_token=p.get("EventSourceToken"),
            function_url_auth_type=p.get("FunctionUrlAuthType"),
            invoked_via_function_url=p.get("InvokedViaFunctionUrl"),
        )
        await self.registry.permissions.add(request.ctx, p["FunctionName"], grant)
        return Made(statement_id, {"Id": statement_id})

    async def update(self, request: ResourceRequest, current: Made, previous: Mapping[str, Any]) -> Made:
        return current  # nothing of a permission changes in place

    async def delete(self, request: ResourceRequest, current: Made) -> None:
        with contextlib.suppress(ResourceNotFound):
            await self.registry.permissions.remove(request.ctx, request.properties["FunctionName"], current.ref)


_CORS = (
    ("AllowCredentials", "allow_credentials"), ("AllowHeaders", "allow_headers"), ("AllowMethods", "allow_methods"),
    ("AllowOrigins", "allow_origins"), ("ExposeHeaders", "expose_headers"), ("MaxAge", "max_age"),
)  # fmt: skip


def _cors(given: Any) -> Cors | None:
    if not isinstance(given, Mapping):
        return None
    values = {name: given[wire] for wire, name in _CORS if given.get(wire) is not None}
    for name in ("allow_headers", "allow_methods", "allow_origins", "expose_headers"):
        if name in values:
            values[name] = tuple(str(item) for item in values[name])
    if "max_age" in values:
        values["max_age"] = int(values["max_age"])
    return Cors(**values)


@dataclass(frozen=True, slots=True)
class UrlProvider:
    """AWS::Lambda::Url: CreateFunctionUrlConfig for TargetFunctionArn (+ Qualifier). GetAtt: FunctionUrl and
    FunctionArn; Ref: the function's ARN
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-url.html)."""

    registry: Registry
    url_of: Any  # (url id, region) -> the URL's address on this server

    def _made(self, config: Any) -> Made:
        url = self.url_of(config.url_id, config.region)
        return Made(config.function_arn, {"FunctionUrl": url, "FunctionArn": config.function_arn})

    @staticmethod
    def _change(p: Mapping[str, Any]) -> UrlChange:
        return UrlChange(p.get("AuthType"), _cors(p.get("Cors")), p.get("InvokeMode"))

    async def create(self, request: ResourceRequest) -> Made:
        p = request.properties
        config = await self.registry.urls.create(
            request.ctx, p["TargetFunctionArn"], p.get("Qualifier"), self._change(p)
        )
        return self._made(config)

    async def update(self, request: ResourceRequest, current: Made, previous: Mapping[str, Any]) -> Made:
        p = request.properties
        change = self._change(p)
        if p.get("Cors") is None and previous.get("Cors") is not None:
            change = UrlChange(change.auth_type, Cors(), change.invoke_mode)  # Cors removed: none left
        config = await self.registry.urls.update(request.ctx, p["TargetFunctionArn"], p.get("Qualifier"), change)
        return self._made(config)

    async def delete(self, request: ResourceRequest, current: Made) -> None:
        p = request.properties
        with contextlib.suppress(ResourceNotFound):
            await self.registry.urls.delete(request.ctx, p["TargetFunctionArn"], p.get("Qualifier"))


# A durable function (DurableConfig) checkpoints and replays its steps, which Overcast's Lambda does not do yet:
# such a function is refused before any change rather than made as a plain one whose SDK calls would fail.
# https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-lambda-function-durableconfig.html
UNSUPPORTED_FUNCTION = (Unsupported("DurableConfig", "Lambda durable functions are not implemented by Overcast yet"),)
# Functions/urls.py refuses an AWS_IAM function URL (no SigV4 verification yet): refused before any change too.
UNSUPPORTED_URL = (
    Unsupported(
        "AuthType",
        "function URLs with AuthType AWS_IAM need SigV4 verification, which Overcast does not have yet; use NONE",
        ("AWS_IAM",),
    ),
)


def register(providers: Providers, registry: Registry, invoker: InvokeService | None, url_of: Any) -> None:
    """Lambda's types. EventSourceMapping is registered beside them with the mappings
    (lambda_event_sources.register), once the composition root has them."""
    from overcast.templates.providers import lambda_event_invoke, lambda_layers

    providers.add("AWS::Lambda::Function", FunctionProvider(registry, invoker), unsupported=UNSUPPORTED_FUNCTION)
    providers.add("AWS::Lambda::Version", VersionProvider(registry, invoker))
    providers.add("AWS::Lambda::Alias", AliasProvider(registry, invoker))
    providers.add("AWS::Lambda::Permission", PermissionProvider(registry))
    providers.add("AWS::Lambda::Url", UrlProvider(registry, url_of), unsupported=UNSUPPORTED_URL)
    lambda_layers.register(providers, registry)
    lambda_event_invoke.register(providers, registry)
