"""Step Functions' CloudFormation types: StateMachine, StateMachineVersion, StateMachineAlias and Activity.

Step Functions is built on its first use (parts.py), so its providers are given a way to reach its
state machines (`machines()`, which builds the part if it is not yet) rather than the object itself.
Properties, Ref and Fn::GetAtt as the template reference documents each type
(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/AWS_StepFunctions.html).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from overcast.errors import ValidationException
from overcast.templates.providers.base import Made, Providers, ResourceRequest
from overcast.templates.providers.tags import removed, tag_map

if TYPE_CHECKING:
    from overcast.workflows.engine.machines import Machines

MachinesOf = Callable[[], Awaitable["Machines"]]


def camel(value: Any) -> Any:
    """A template's PascalCase structure in the API's camelCase (LoggingConfiguration's Level -> level ...)."""
    if isinstance(value, Mapping):
        return {key[:1].lower() + key[1:]: camel(item) for key, item in value.items()}
    if isinstance(value, list):
        return [camel(item) for item in value]
    return value


def definition(p: Mapping[str, Any]) -> str:
    """The definition's text: Definition (an object) or DefinitionString, each `${name}` of
    DefinitionSubstitutions replaced by its value
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-stepfunctions-statemachine.html#cfn-stepfunctions-statemachine-definitionsubstitutions)."""
    if "DefinitionS3Location" in p:
        raise ValidationException(
            "DefinitionS3Location needs object storage, which Overcast does not have yet: give the definition "
            "inline (Definition or DefinitionString)."
        )
    if "Definition" in p:
        text = json.dumps(p["Definition"], indent=2)
    elif "DefinitionString" in p:
        text = str(p["DefinitionString"])
    else:
        raise ValidationException("One of Definition, DefinitionString or DefinitionS3Location is required.")
    for name, value in (p.get("DefinitionSubstitutions") or {}).items():
        shown = json.dumps(value) if isinstance(value, bool) else str(value)
        text = text.replace("${" + name + "}", shown)
    return text


def _settings(p: Mapping[str, Any]) -> dict[str, Any]:
    """The settings UpdateStateMachine changes, by the domain's names, in the API's shapes."""
    return {
        "definition": definition(p),
        "role_arn": p.get("RoleArn", ""),
        "logging": camel(p.get("LoggingConfiguration") or {}),
        "tracing": camel(p.get("TracingConfiguration") or {"Enabled": False}),
        "encryption": camel(p.get("EncryptionConfiguration") or {"Type": "AWS_OWNED_KEY"}),
    }


async def _retag(machines: Machines, request: ResourceRequest, arn: str, previous: Mapping[str, Any]) -> None:
    new = request.properties.get("Tags")
    if new == previous.get("Tags"):
        return
    gone = removed(previous.get("Tags"), new)
    if gone:
        await machines.tagging.untag(request.ctx, arn, gone)
    if tag_map(new):
        await machines.tagging.tag(request.ctx, arn, tag_map(new))


@dataclass(frozen=True, slots=True)
class StateMachineProvider:
    """CreateStateMachine. Ref: its ARN; GetAtt: Arn, Name, StateMachineRevisionId."""

    machines: MachinesOf

    @staticmethod
    def _made(arn: str, name: str, revision_id: str) -> Made:
        return Made(arn, {"Arn": arn, "Name": name, "StateMachineRevisionId": revision_id})

    async def create(self, request: ResourceRequest) -> Made:
        from overcast.workflows.engine.records import STANDARD, MachineConfig

        p, machines = request.properties, await self.machines()
        settings = _settings(p)
        config = MachineConfig(
            settings["definition"], settings["role_arn"], p.get("StateMachineType", STANDARD), settings["logging"],
            settings["tracing"], settings["encryption"],
        )  # fmt: skip
        name = p.get("StateMachineName") or request.physical_name(80)
        machine, _ = await machines.create(request.ctx, name, config, tagged=tag_map(p.get("Tags")))
        return self._made(machine.arn, machine.name, machine.revision_id)

    async def update(self, request: ResourceRequest, current: Made, previous: Mapping[str, Any]) -> Made:
        machines = await self.machines()
        machine, _ = await machines.update(request.ctx, current.ref, _settings(request.properties))
        await _retag(machines, request, machine.arn, previous)
        return self._made(machine.arn, machine.name, machine.revision_id)

    async def delete(self, request: ResourceRequest, current: Made) -> None:
        await (await self.machines()).delete(request.ctx, current.ref)  # absent: no error, as Step Functions


@dataclass(frozen=True, slots=True)
class StateMachineVersionProvider:
    """PublishStateMachineVersion. Ref and GetAtt Arn: the version's ARN (every property is create-only)."""

    machines: MachinesOf

    async def create(self, request: ResourceRequest) -> Made:
        p = request.properties
        version = await (await self.machines()).publish(
            request.ctx, p["StateMachineArn"], p.get("StateMachineRevisionId"), p.get("Description", "")
        )
        return Made(version.arn, {"Arn": version.arn})

    async def update(self, request: ResourceRequest, current: Made, previous: Mapping[str, Any]) -> Made:
        return current

    async def delete(self, request: ResourceRequest, current: Made) -> None:
        await (await self.machines()).delete_version(request.ctx, current.ref)  # absent: no error


def _routing(p: Mapping[str, Any]) -> list[tuple[str, int]]:
    """RoutingConfiguration, or DeploymentPreference's StateMachineVersionArn taking every execution (Overcast
    shifts no traffic gradually: the version is the alias' whole routing at once)."""
    if p.get("RoutingConfiguration"):
        return [(r["StateMachineVersionArn"], int(r["Weight"])) for r in p["RoutingConfiguration"]]
    preference = p.get("DeploymentPreference") or {}
    if preference.get("StateMachineVersionArn"):
        return [(preference["StateMachineVersionArn"], 100)]
    raise ValidationException("One of RoutingConfiguration or DeploymentPreference is required.")


@dataclass(frozen=True, slots=True)
class StateMachineAliasProvider:
    """CreateStateMachineAlias. Ref and GetAtt Arn: the alias' ARN."""

    machines: MachinesOf

    async def create(self, request: ResourceRequest) -> Made:
        p = request.properties
        name = p.get("Name") or request.physical_name(80)
        alias = await (await self.machines()).create_alias(request.ctx, name, p.get("Description", ""), _routing(p))
        return Made(alias.arn, {"Arn": alias.arn})

    async def update(self, request: ResourceRequest, current: Made, previous: Mapping[str, Any]) -> Made:
        p = request.properties
        await (await self.machines()).update_alias(request.ctx, current.ref, p.get("Description", ""), _routing(p))
        return current

    async def delete(self, request: ResourceRequest, current: Made) -> None:
        await (await self.machines()).delete_alias(request.ctx, current.ref)


@dataclass(frozen=True, slots=True)
class ActivityProvider:
    """CreateActivity. Ref and GetAtt Arn: its ARN; GetAtt Name."""

    machines: MachinesOf

    async def create(self, request: ResourceRequest) -> Made:
        p = request.properties
        activity = await (await self.machines()).create_activity(
            request.ctx, p["Name"], tag_map(p.get("Tags")), camel(p.get("EncryptionConfiguration"))
        )
        return Made(activity.arn, {"Arn": activity.arn, "Name": activity.name})

    async def update(self, request: ResourceRequest, current: Made, previous: Mapping[str, Any]) -> Made:
        await _retag(await self.machines(), request, current.ref, previous)  # only Tags change in place
        return current

    async def delete(self, request: ResourceRequest, current: Made) -> None:
        await (await self.machines()).delete_activity(request.ctx, current.ref)


def register(providers: Providers, machines: MachinesOf) -> None:
    providers.add("AWS::StepFunctions::StateMachine", StateMachineProvider(machines))
    providers.add("AWS::StepFunctions::StateMachineVersion", StateMachineVersionProvider(machines))
    providers.add("AWS::StepFunctions::StateMachineAlias", StateMachineAliasProvider(machines))
    providers.add("AWS::StepFunctions::Activity", ActivityProvider(machines))
