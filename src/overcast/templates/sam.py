"""The SAM transform (`Transform: AWS::Serverless-2016-10-31`) by AWS's own aws-sam-translator, offline.

The translator is given the stack's region (a boto3 session that never fetches credentials), the
account as `AWS::AccountId`, and an empty managed-policy loader: names of AWS managed policies are
found in the map the library bundles, and anything else is kept as written, so nothing calls IAM.
Packaging (local CodeUri / ContentUri / DefinitionUri) is not done here: `overcast deploy` packages
before it sends the template (overcast.deploy).

`DeploymentPreference` is recorded, not run: the CodeDeploy application and deployment groups the
translator makes, and the aliases' `UpdatePolicy`, move to the template's Metadata under
`Overcast::DeploymentPreferences`, so an alias points at its new version at once (all traffic, as
`AllAtOnce` would) and the preference stays readable in GetTemplate's processed template.
"""

from __future__ import annotations

import copy
import logging
import threading
from typing import Any

from overcast.templates.errors import TemplateValidationError

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
RECORDED = "Overcast::DeploymentPreferences"
CODEDEPLOY_TYPES = frozenset(("AWS::CodeDeploy::Application", "AWS::CodeDeploy::DeploymentGroup"))

# The translator keeps its region in a class attribute (ArnGenerator.BOTO_SESSION_REGION_NAME), so two
# transforms for different regions must not overlap.
_one_at_a_time = threading.Lock()
# Its metrics publisher is a no-op here; it would warn "There are unpublished metrics" on every transform.
logging.getLogger("samtranslator.metrics").setLevel(logging.ERROR)


class _NoManagedPolicies:
    """The managed-policy loader: empty, so the translator never calls IAM's ListPolicies."""

    def load(self) -> dict[str, str]:
        return {}


def transforms_of(template: dict[str, Any]) -> list[str]:
    """The template's Transform section as a list of names (it may be one string or a list)."""
    value = template.get("Transform")
    if value is None:
        return []
    return [value] if isinstance(value, str) else [item for item in value if isinstance(item, str)]


def uses_sam(template: dict[str, Any]) -> bool:
    """Whether the template asks for the SAM transform."""
    return SAM_TRANSFORM in transforms_of(template)


def transform(
    template: dict[str, Any], region: str, account: str, parameters: dict[str, Any] | None = None
) -> dict[str, Any]:
    """`template` with its SAM resources (Globals, implicit APIs, events, policy templates, connectors,
    AutoPublishAlias...) as plain CloudFormation; a template without the SAM transform is returned as is.

    `parameters` are the stack's parameter values (the translator resolves a few properties with them,
    such as AutoPublishAlias); a refusal is CloudFormation's ValidationError with the translator's
    text, as CloudFormation words it ("Transform AWS::Serverless-2016-10-31 failed with: ...").
    """
    if not uses_sam(template):
        return template
    import boto3
    from samtranslator.model.exceptions import InvalidDocumentException, InvalidTemplateException
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    values: dict[str, Any] = {"AWS::AccountId": account, "AWS::Region": region}
    values.update(parameters or {})
    loader = _NoManagedPolicies()
    with _one_at_a_time:
        try:
            translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=region))
            out = translator.translate(
                copy.deepcopy(template), parameter_values=values, get_managed_policy_map=loader.load
            )
        except (InvalidDocumentException, InvalidTemplateException) as exc:
            # "Transform AWS::Serverless-2016-10-31 failed with: Invalid Serverless Application Specification
            # document. Number of errors found: 1. Resource with id [Fn] is invalid. ...", as CloudFormation says it.
            causes = " ".join(cause.message for cause in getattr(exc, "causes", ()))
            text = f"{exc.message} {causes}".strip()
            raise TemplateValidationError(f"Transform {SAM_TRANSFORM} failed with: {text}") from None
        except Exception as exc:  # the translator's other failures are still a refused template
            raise TemplateValidationError(f"Transform {SAM_TRANSFORM} failed with: {exc}") from None
    rest = [name for name in transforms_of(template) if name != SAM_TRANSFORM]
    if rest:
        out["Transform"] = rest
    else:
        out.pop("Transform", None)
    return _record_deployment_preferences(out)


def _record_deployment_preferences(template: dict[str, Any]) -> dict[str, Any]:
    """The template with CodeDeploy's part of DeploymentPreference moved to its Metadata (see above)."""
    resources: dict[str, Any] = template.get("Resources", {})
    recorded: dict[str, Any] = {}
    for logical_id in [name for name, r in resources.items() if r.get("Type") in CODEDEPLOY_TYPES]:
        recorded[logical_id] = resources.pop(logical_id)
    for logical_id, resource in resources.items():
        policy = resource.get("UpdatePolicy", {})
        if "CodeDeployLambdaAliasUpdate" in policy:
            update = policy.pop("CodeDeployLambdaAliasUpdate")
            recorded[logical_id] = {"UpdatePolicy": {"CodeDeployLambdaAliasUpdate": update}}
            if not policy:
                resource.pop("UpdatePolicy")
    if recorded:
        for resource in resources.values():
            depends = resource.get("DependsOn")
            if isinstance(depends, list):
                resource["DependsOn"] = [name for name in depends if name not in recorded or name in resources]
            elif isinstance(depends, str) and depends in recorded and depends not in resources:
                resource.pop("DependsOn")
        template.setdefault("Metadata", {})[RECORDED] = recorded
    return template
