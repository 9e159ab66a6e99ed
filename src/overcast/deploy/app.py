"""An app deployed from its template, as `sam deploy` does it: packaged, then its stack changed; and an app's
template validated (read, transformed offline as the server will, then CloudFormation's ValidateTemplate)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from overcast.deploy.build import Builder
from overcast.deploy.package import ArtifactStore, code_sites, inline_definitions, locate, package, read_template
from overcast.deploy.stack import DeployRequest, NotImplementedByServer, Stacks, template_body
from overcast.templates import sam

TEMPLATE_NAMES = ("template.yaml", "template.yml", "template.json")
FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")
NEAREST = re.compile(r"nearest: (python\d+\.\d+)")  # how the server's status says a runtime runs on another version


def find_template(given: Path | None, cwd: Path) -> Path:
    """The template file: the one given, else template.yaml / template.yml (/ .json) in `cwd`."""
    if given is not None:
        if not given.is_file():
            raise FileNotFoundError(f"Template file not found at {given}")
        return given
    for name in TEMPLATE_NAMES:
        if (cwd / name).is_file():
            return cwd / name
    raise FileNotFoundError(f"No template.yaml or template.yml in {cwd}: name one with -t/--template-file")


@dataclass(frozen=True)
class Deployment:
    """What `overcast deploy` was asked, besides the template: the stack and how to change it."""

    stack_name: str
    parameters: dict[str, str]
    tags: dict[str, str]
    capabilities: tuple[str, ...]
    execute: bool
    confirm: Callable[[], bool] | None = None  # asked after the change set is shown


def nearest_runtimes(template: dict[str, Any], runtimes: Mapping[str, str]) -> list[str]:
    """One line for each runtime of the template's functions that the server runs on another Python version
    (`runtimes`: what runs each runtime, as the server's status says it), naming the functions."""
    globals_ = (template.get("Globals") or {}).get("Function") or {}
    used: dict[str, list[str]] = {}
    for logical_id, resource in template["Resources"].items():
        if resource.get("Type") not in FUNCTION_TYPES:
            continue
        inherited = globals_.get("Runtime") if resource["Type"] == FUNCTION_TYPES[0] else None
        runtime = (resource.get("Properties") or {}).get("Runtime", inherited)
        if isinstance(runtime, str):
            used.setdefault(runtime, []).append(logical_id)
    lines = []
    for runtime, functions in used.items():
        nearest = NEAREST.match(runtimes.get(runtime, ""))
        if nearest is not None:
            lines.append(
                f"{runtime} runs on {nearest[1]}, the nearest to {runtime} on this host ({', '.join(functions)})"
            )
    return lines


def deploy_app(
    template: Path,
    deployment: Deployment,
    builder: Builder,
    bucket: ArtifactStore,
    stacks: Stacks,
    runtimes: Mapping[str, str] | None = None,
) -> dict[str, Any] | None:
    """Package `template`'s local code, upload it, and create or update the stack; its description. `runtimes`:
    what runs each runtime on the server (its status), so a runtime run on the nearest version is announced."""
    body = read_template(template)
    for line in nearest_runtimes(body, runtimes or {}):
        builder.say(line)
    packaged = package(body, template.parent, builder, bucket)
    request = DeployRequest(
        stack_name=deployment.stack_name,
        template_body=template_body(packaged.template),
        parameters=deployment.parameters,
        tags=deployment.tags,
        capabilities=deployment.capabilities,
        execute=deployment.execute,
        confirm=deployment.confirm,
    )
    return stacks.deploy(request)


def validate_app(template: Path, account: str, stacks: Stacks) -> str:
    """Read and transform `template` as a deploy would (local code named by placeholder keys, nothing
    built), then ask the server's ValidateTemplate; what to print. Raises TemplateValidationError."""
    body = read_template(template)
    keys = {site.logical_id: f"{0:064x}.zip" for site in code_sites(body, template.parent)}
    packaged = inline_definitions(locate(body, keys), template.parent)
    sam.transform(packaged, stacks.region, account)
    kind = "SAM" if sam.uses_sam(body) else "CloudFormation"
    try:
        stacks.validate(template_body(packaged))
    except NotImplementedByServer as exc:
        return f"{template} is a valid {kind} Template (read and transformed here; not checked by the server: {exc})"
    return f"{template} is a valid {kind} Template"
