"""A template's function as `sam local invoke` runs it: its configuration resolved offline, with no stack.

The template is read and transformed as `overcast deploy` does (overcast.deploy.package, the SAM transform
of overcast.templates.sam), each function's local code named by a placeholder key, nothing built. Its
properties are then resolved with the template's parameters (overrides, else defaults), Conditions and
Mappings; what only a stack could answer stands in as `sam local` has it stand in: `Ref` to another
resource is its logical id, `Fn::GetAtt` an ARN for `Arn` (the resource's service, its logical id as
its name) and `<LogicalId>.<Attribute>` otherwise, `Fn::ImportValue` an error naming the export.

`--env-vars` is sam's JSON file (https://docs.aws.amazon.com/serverless-application-model/latest/
developerguide/serverless-sam-cli-using-invoke.html): `{"Parameters": {...}}` for every function and
`{"<LogicalId or FunctionName>": {...}}` for one, the function's own winning; as sam, it overrides
only the variables the template gives the function (Environment, Globals), and adds none.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from overcast.arn import partition_of
from overcast.deploy.build import BuildSpec
from overcast.deploy.package import CodeSite, code_sites, inline_definitions, locate
from overcast.templates import sam
from overcast.templates.conditions import evaluate
from overcast.templates.errors import TemplateValidationError
from overcast.templates.intrinsics import Scope, resolve
from overcast.templates.parameters import resolve_parameters

FUNCTION_TYPE = "AWS::Lambda::Function"
LANGUAGE_EXTENSIONS = "AWS::LanguageExtensions"
# Lambda's defaults: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-function.html
DEFAULT_MEMORY_MB = 128
DEFAULT_TIMEOUT_S = 3


class NoSuchFunction(Exception):
    """The function asked for is not in the template; the message names those that are."""


@dataclass(frozen=True, slots=True)
class LocalFunction:
    """One function of a template, resolved: what its sandbox is started with, and how its code is built."""

    logical_id: str
    function_name: str
    runtime: str
    handler: str
    memory_mb: int
    timeout_s: int
    architecture: str
    environment: Mapping[str, str]
    code: BuildSpec | None  # None: inline code (`inline`)
    inline: str | None = None  # Code.ZipFile / InlineCode
    layers: tuple[BuildSpec, ...] = ()  # the template's local layers, in the function's order
    log_format: str = "Text"
    log_level: str | None = None


@dataclass(frozen=True, slots=True)
class _Placeholders:
    """The stack's resources as `sam local` stands them in: logical ids and made-up ARNs."""

    types: Mapping[str, str]
    region: str
    account: str

    def ref(self, logical_id: str) -> Any:
        self._known(logical_id)
        return logical_id

    def get_att(self, logical_id: str, attribute: str) -> Any:
        kind = self._known(logical_id)
        if attribute != "Arn":
            return f"{logical_id}.{attribute}"
        service = kind.split("::")[1].lower() if kind.count("::") >= 2 else "cloudformation"
        return f"arn:{partition_of(self.region)}:{service}:{self.region}:{self.account}:{logical_id}"

    def _known(self, logical_id: str) -> str:
        if logical_id not in self.types:
            raise TemplateValidationError(
                f"Template format error: Unresolved resource dependencies [{logical_id}] in the Resources block "
                "of the template"
            )
        return self.types[logical_id]


def local_function(
    template: dict[str, Any],
    base: Path,
    logical_id: str | None,
    *,
    region: str,
    account: str,
    parameters: Mapping[str, str],
    env_vars: Mapping[str, Any] | None = None,
) -> LocalFunction:
    """The function `logical_id` of `template` (None: its only function), resolved. Raises NoSuchFunction,
    TemplateValidationError (a bad parameter, intrinsic or transform), or ValueError (a bad --env-vars)."""
    sites = {site.logical_id: site for site in code_sites(template, base)}
    given = resolve_parameters(template, parameters)
    values = {name: parameter.value for name, parameter in given.items()}
    # Each local code named by a key of its own until it is built: the transform renames a SAM layer
    # (<LogicalId><hash>), and its key still says which one it was.
    keys = {logical_id: f"{hashlib.sha256(logical_id.encode()).hexdigest()}.zip" for logical_id in sites}
    placed = inline_definitions(locate(template, keys), base)
    transformed = sam.transform(placed, region, account, values)
    resources: dict[str, Any] = transformed.get("Resources") or {}
    built = {key: sites[logical_id].spec for logical_id, key in keys.items()}
    layers = {
        logical_id: built[key]
        for logical_id, resource in resources.items()
        if resource.get("Type") == "AWS::Lambda::LayerVersion"
        and (key := ((resource.get("Properties") or {}).get("Content") or {}).get("S3Key")) in built
    }
    functions = sorted(name for name, resource in resources.items() if resource.get("Type") == FUNCTION_TYPE)
    chosen = _choose(functions, logical_id)
    pseudo = {
        "AWS::AccountId": account,
        "AWS::Region": region,
        "AWS::Partition": partition_of(region),
        "AWS::StackName": "local",
        "AWS::StackId": f"arn:{partition_of(region)}:cloudformation:{region}:{account}:stack/local/local",
        "AWS::URLSuffix": "amazonaws.com",
        "AWS::NotificationARNs": [],
    }
    scope = Scope(
        parameters=values,
        pseudo=pseudo,
        resources=_Placeholders({name: str(r.get("Type")) for name, r in resources.items()}, region, account),
        mappings=transformed.get("Mappings") or {},
        language_extensions=LANGUAGE_EXTENSIONS in sam.transforms_of(transformed),
    )
    scope = Scope(
        scope.parameters,
        scope.pseudo,
        scope.resources,
        scope.mappings,
        evaluate(transformed.get("Conditions") or {}, scope),
        language_extensions=scope.language_extensions,
    )
    props = resolve(resources[chosen].get("Properties") or {}, scope)
    return _configured(chosen, props, sites, layers, env_vars or {})


def _choose(functions: list[str], logical_id: str | None) -> str:
    if logical_id is None:
        if len(functions) == 1:
            return functions[0]
        named = ", ".join(functions) or "none"
        raise NoSuchFunction(f"The template has {len(functions)} functions ({named}): name the one to invoke.")
    if logical_id not in functions:
        named = ", ".join(functions) or "none"
        raise NoSuchFunction(f"The template has no function {logical_id}; its functions: {named}.")
    return logical_id


def _configured(
    logical_id: str,
    props: Mapping[str, Any],
    sites: Mapping[str, CodeSite],
    local_layers: Mapping[str, BuildSpec],
    env_vars: Mapping[str, Any],
) -> LocalFunction:
    if props.get("PackageType") == "Image":
        raise NoSuchFunction(f"{logical_id} is a container image function: Overcast runs zip functions only.")
    runtime, handler = props.get("Runtime"), props.get("Handler")
    if not isinstance(runtime, str) or not isinstance(handler, str):
        raise NoSuchFunction(f"{logical_id} has no Runtime and Handler: Overcast cannot run it.")
    name = props.get("FunctionName")
    name = name if isinstance(name, str) and name else logical_id
    code = props.get("Code") or {}
    site = sites.get(logical_id)
    inline = code.get("ZipFile") if isinstance(code, dict) else None
    if site is None and not isinstance(inline, str):
        raise NoSuchFunction(
            f"{logical_id}'s code is not local (Code: {code}): overcast local invoke runs code from the template's "
            "folder or inline code; deploy it and use overcast invoke instead."
        )
    layers = []
    for layer in props.get("Layers") or []:
        spec = local_layers.get(layer) if isinstance(layer, str) else None
        if spec is None:
            raise NoSuchFunction(
                f"{logical_id}'s layer {layer} is not built from the template's folder: overcast local invoke runs "
                "local layers only; deploy the app and use overcast invoke instead."
            )
        layers.append(spec)
    declared = (props.get("Environment") or {}).get("Variables") or {}
    environment = {key: _text(value) for key, value in declared.items()}
    if not isinstance(env_vars, Mapping):
        raise ValueError("The --env-vars file must hold a JSON object")
    for scope_name in ("Parameters", name, logical_id):  # the function's own last: it wins
        overrides = env_vars.get(scope_name) or {}
        if not isinstance(overrides, Mapping):
            raise ValueError(f"--env-vars: {scope_name} must be an object of variable names to values")
        environment.update({key: _text(value) for key, value in overrides.items() if key in declared})
    logging_config = props.get("LoggingConfig") or {}
    architectures = props.get("Architectures") or ["x86_64"]
    return LocalFunction(
        logical_id=logical_id,
        function_name=name,
        runtime=runtime,
        handler=handler,
        memory_mb=int(props.get("MemorySize") or DEFAULT_MEMORY_MB),
        timeout_s=int(props.get("Timeout") or DEFAULT_TIMEOUT_S),
        architecture=str(architectures[0]),
        environment=environment,
        code=site.spec if site is not None else None,
        inline=inline if site is None else None,
        layers=tuple(layers),
        log_format=str(logging_config.get("LogFormat") or "Text"),
        log_level=logging_config.get("ApplicationLogLevel"),
    )


def _text(value: Any) -> str:
    """An environment variable's value as Lambda keeps it: a string (a number or a flag as written)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)
