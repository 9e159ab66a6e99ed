"""A template made ready to deploy: transformed, its parameters, conditions and graph checked before any change.

Everything CloudFormation refuses with a ValidationError before it touches a resource is checked here:
the template's shape, Transforms (only those Overcast can apply), resource types no provider makes
(AWS's "Unrecognized resource types"), parameters, conditions, the dependency graph (unknown names,
circles), capabilities, and every intrinsic that does not wait on a resource (a bad Fn::Join, a missing
mapping key, an export that does not exist), each naming the logical id it is in.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from overcast.arn import partition_of
from overcast.context import RequestContext
from overcast.templates import conditions, document, graph, loops
from overcast.templates.errors import TemplateValidationError, format_error
from overcast.templates.intrinsics import NO_VALUE, Scope, resolve
from overcast.templates.parameters import Parameter, resolve_parameters
from overcast.templates.providers.base import Providers

SERVERLESS = "AWS::Serverless-2016-10-31"
LANGUAGE_EXTENSIONS = "AWS::LanguageExtensions"
# A transform the composition root sets (SAM's): the template and the parameters given in, the expanded template out.
Transform = Callable[[dict[str, Any], RequestContext, Mapping[str, str]], Awaitable[dict[str, Any]]]
# Types that mean nothing on one host: accepted, recorded with a placeholder id, and named in a warning.
NETWORKING = frozenset(
    (
        "AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupIngress",
        "AWS::EC2::SecurityGroupEgress", "AWS::EC2::RouteTable", "AWS::EC2::Route", "AWS::EC2::InternetGateway",
        "AWS::EC2::VPCGatewayAttachment", "AWS::EC2::SubnetRouteTableAssociation", "AWS::EC2::VPCEndpoint",
        "AWS::EC2::NatGateway", "AWS::EC2::EIP", "AWS::EC2::NetworkAcl", "AWS::EC2::NetworkAclEntry",
        "AWS::EC2::SubnetNetworkAclAssociation", "AWS::EC2::EgressOnlyInternetGateway",
        "AWS::EC2::VPCCidrBlock", "AWS::EC2::DHCPOptions", "AWS::EC2::VPCDHCPOptionsAssociation",
    )
)  # fmt: skip
_IAM_NAMES = {"AWS::IAM::Role": "RoleName", "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
              "AWS::IAM::User": "UserName", "AWS::IAM::Group": "GroupName",
              "AWS::IAM::InstanceProfile": "InstanceProfileName"}  # fmt: skip


class InsufficientCapabilities(TemplateValidationError):
    code = "InsufficientCapabilitiesException"


class _Pending(Exception):
    """A value that waits on a resource not made yet (while checking intrinsics before any change)."""


@dataclass(frozen=True)
class Stub:
    """Resources before any is made: naming one is fine, its value is not known yet; naming one whose
    Condition is false is an error, as CloudFormation refuses it."""

    skipped: frozenset[str]

    def ref(self, logical_id: str) -> Any:
        if logical_id in self.skipped:
            raise format_error(
                f"Unresolved resource dependencies [{logical_id}] in the Resources block of the template"
            )
        raise _Pending(logical_id)

    def get_att(self, logical_id: str, attribute: str) -> Any:
        return self.ref(logical_id)


@dataclass(frozen=True)
class Plan:
    template: dict[str, Any]  # after transforms
    parameters: Mapping[str, Parameter]
    conditions: Mapping[str, bool]
    active: tuple[str, ...]  # the resources whose Condition holds, in template order
    waves: tuple[tuple[str, ...], ...]
    graph: Mapping[str, set[str]]
    scope: Scope  # parameters, pseudo parameters, mappings, conditions, exports (resources: Stub)
    networking: tuple[str, ...]  # logical ids of networking-only placeholders
    imports: tuple[str, ...]  # export names the template imports (where they do not wait on a resource)

    def resource(self, logical_id: str) -> dict[str, Any]:
        resource: dict[str, Any] = self.template["Resources"][logical_id]
        return resource

    def type_of(self, logical_id: str) -> str:
        return str(self.resource(logical_id)["Type"])


def pseudo_parameters(
    ctx: RequestContext, stack_name: str, stack_id: str, notification_arns: list[str]
) -> dict[str, Any]:
    """https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/pseudo-parameter-reference.html"""
    partition = partition_of(ctx.region)
    return {
        "AWS::AccountId": ctx.account_id,
        "AWS::Region": ctx.region,
        "AWS::Partition": partition,
        "AWS::StackName": stack_name,
        "AWS::StackId": stack_id,
        "AWS::URLSuffix": "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com",
        "AWS::NotificationARNs": list(notification_arns),
    }


def transforms_of(template: Mapping[str, Any]) -> list[str]:
    declared = template.get("Transform") or []
    return [declared] if isinstance(declared, str) else [str(item) for item in declared]


async def expand(
    template: dict[str, Any], ctx: RequestContext, transform: Transform | None, parameters: Mapping[str, str]
) -> dict[str, Any]:
    """The template with its Transforms applied: SAM's through the hook the composition root set."""
    names = transforms_of(template)
    unknown = [name for name in names if name not in (SERVERLESS, LANGUAGE_EXTENSIONS)]
    if unknown or (SERVERLESS in names and transform is None):
        refused = unknown or [SERVERLESS]
        # AWS answers an unknown macro "No transform named ... found."; SAM is known but not wired yet here.
        raise TemplateValidationError(f"No transform named {refused[0]} found. (Overcast cannot apply it yet)")
    if SERVERLESS in names and transform is not None:
        expanded = await transform(template, ctx, parameters)
        left = [name for name in transforms_of(expanded) if name != SERVERLESS]
        template = {**expanded, "Transform": left} if left else {k: v for k, v in expanded.items() if k != "Transform"}
        document.check_shape(template)
    return template


def prepare(
    template: dict[str, Any],
    given: Mapping[str, str],
    pseudo: Mapping[str, Any],
    providers: Providers,
    exports: Mapping[str, str],
    capabilities: tuple[str, ...] = (),
) -> Plan:
    """Everything checked that CloudFormation checks before any change (ValidationError otherwise)."""
    parameters = resolve_parameters(template, given)
    imported: list[str] = []

    def export(name: str) -> Any:
        imported.append(name)
        return exports.get(name)

    scope = Scope(
        parameters={name: p.value for name, p in parameters.items()},
        pseudo=pseudo,
        resources=Stub(frozenset()),
        mappings=template.get("Mappings") or {},
        exports=export,
        language_extensions=LANGUAGE_EXTENSIONS in transforms_of(template),
    )
    if scope.language_extensions:
        template = loops.expand(template, scope)
        document.check_shape(template)
    resources: dict[str, Any] = template["Resources"]
    missing = [rid for rid, r in resources.items() if providers.get(r["Type"]) is None and r["Type"] not in NETWORKING]
    if missing:
        kinds = ", ".join(dict.fromkeys(resources[rid]["Type"] for rid in missing))
        named = ", ".join(f"{resources[rid]['Type']} ({rid})" for rid in missing)
        raise format_error(f"Unrecognized resource types: [{kinds}] - {named}")
    refused = [
        f"{how} of {r['Type']} ({rid}): {missing}"
        for rid, r in resources.items()
        if isinstance(r.get("Properties"), dict)
        for how, missing in providers.unsupported(r["Type"], r["Properties"])
    ]
    if refused:
        raise format_error(f"Unsupported properties: {'; '.join(refused)}")
    truths = conditions.evaluate(template.get("Conditions") or {}, scope)
    for rid, resource in resources.items():
        name = resource.get("Condition")
        if name is not None and name not in truths:
            raise format_error(
                f"Unresolved dependencies [{name}] in the Conditions block of the resource {rid}"
            )  # guess
    active = tuple(rid for rid, r in resources.items() if r.get("Condition") is None or truths[r["Condition"]])
    full = graph.dependencies(template)
    restricted = {rid: full[rid] & set(active) for rid in active}
    scope = dataclasses.replace(scope, conditions=truths, resources=Stub(frozenset(resources) - set(active)))
    for rid in active:
        _check_intrinsics(f"Resources/{rid}", resources[rid].get("Properties") or {}, scope)
    for key, output in (template.get("Outputs") or {}).items():
        if isinstance(output, dict) and (output.get("Condition") is None or truths.get(output["Condition"], False)):
            _check_intrinsics(f"Outputs/{key}", {k: v for k, v in output.items() if k != "Condition"}, scope)
    check_capabilities(template, active, capabilities)
    return Plan(
        template=template,
        parameters=parameters,
        conditions=truths,
        active=active,
        waves=tuple(tuple(w) for w in graph.waves(restricted)),
        graph=restricted,
        scope=scope,
        networking=tuple(rid for rid in active if resources[rid]["Type"] in NETWORKING),
        imports=tuple(dict.fromkeys(imported)),
    )


def _check_intrinsics(where: str, properties: Mapping[str, Any], scope: Scope) -> None:
    """Each property resolved as far as it can be before any resource exists; an error names where it is."""
    for key, value in properties.items():
        try:
            resolve(value, scope)
        except _Pending:
            continue
        except TemplateValidationError as error:
            raise type(error)(f"{error.message} [{where}/{key}]") from None


def check_capabilities(template: Mapping[str, Any], active: tuple[str, ...], given: tuple[str, ...]) -> None:
    """IAM resources need CAPABILITY_IAM, named ones CAPABILITY_NAMED_IAM
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html)."""
    resources = template["Resources"]
    iam = [rid for rid in active if str(resources[rid]["Type"]).startswith("AWS::IAM::")]
    if not iam:
        return
    named = any(_IAM_NAMES.get(resources[rid]["Type"], "-") in (resources[rid].get("Properties") or {}) for rid in iam)
    needed = "CAPABILITY_NAMED_IAM" if named else "CAPABILITY_IAM"
    if needed not in given and "CAPABILITY_NAMED_IAM" not in given:
        raise InsufficientCapabilities(f"Requires capabilities : [{needed}]")


def resolved(value: Any) -> Any:
    """A resolved value without AWS::NoValue at its top."""
    return {} if value is NO_VALUE else value
