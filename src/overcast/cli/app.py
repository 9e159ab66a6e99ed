"""Apps from templates: `overcast deploy`, `validate`, `delete`, `stacks`, `invoke`, and sample events."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from overcast.cli import Target, console, fail, main, server_options, target_of
from overcast.deploy.parameters import SpacedValues


def _stacks(target: Target, region: str | None) -> Any:
    """CloudFormation's stacks on the target server, printing to the terminal."""
    from overcast.deploy.stack import Stacks

    client = target.client("cloudformation", region)
    return Stacks(client, console(width=max(160, console().width)), target.url)


def app_failures() -> tuple[type[Exception], ...]:
    """What an app command reports as a one-line error (and exit 1) rather than a traceback."""
    from overcast.deploy.build import BuildFailed
    from overcast.deploy.parameters import BadOverride
    from overcast.deploy.stack import DeployFailed
    from overcast.errors import AwsError

    return BuildFailed, DeployFailed, BadOverride, AwsError, FileNotFoundError


def cache_dir_default() -> Path:
    """Where built dependencies are kept between deploys: $XDG_CACHE_HOME/overcast/builds (~/.cache/...)."""

    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "overcast" / "builds"


@main.command()
@click.option("-t", "--template-file", "--template", type=click.Path(path_type=Path), default=None,
              help="The template (default: template.yaml or template.yml here).")  # fmt: skip
@click.option("--stack-name", required=True, help="The stack to create or update.")
@click.option("--parameter-overrides", cls=SpacedValues, multiple=True,
              help="Key=Value pairs (or ParameterKey=K,ParameterValue=V), space-separated.")  # fmt: skip
@click.option("--tags", cls=SpacedValues, multiple=True, help="Key=Value tags for the stack, space-separated.")
@click.option("--capabilities", cls=SpacedValues, multiple=True, default=("CAPABILITY_IAM CAPABILITY_AUTO_EXPAND",),
              show_default=True, help="Capabilities acknowledged for the change set, space-separated.")  # fmt: skip
@click.option("--no-execute-changeset", is_flag=True, help="Make and show the change set; do not run it.")
@click.option("--confirm-changeset/--no-confirm-changeset", default=False, help="Ask before running the change set.")
@click.option("--watch", is_flag=True, help="Deploy again whenever a file under the template's directory changes.")
@click.option("--region", default=None, help="The stack's region (default: the server's default region).")
@click.option("--cache-dir", type=click.Path(path_type=Path), default=None,
              help="Where built dependencies are kept (default: ~/.cache/overcast/builds).")  # fmt: skip
@server_options
def deploy(
    template_file: Path | None,
    stack_name: str,
    parameter_overrides: tuple[str, ...],
    tags: tuple[str, ...],
    capabilities: tuple[str, ...],
    no_execute_changeset: bool,
    confirm_changeset: bool,
    watch: bool,
    region: str | None,
    cache_dir: Path | None,
    endpoint_url: str | None,
    data_dir: Path | None,
    config: Path | None,
) -> None:
    """Deploy an app from its SAM or CloudFormation template, as `sam deploy` does (its code built as `sam build`)."""

    from overcast.deploy.app import Deployment, deploy_app, find_template
    from overcast.deploy.build import Builder
    from overcast.deploy.parameters import pairs
    from overcast.deploy.uploads import ArtifactBucket

    failures = app_failures()
    try:
        template = find_template(template_file, Path.cwd())
        deployment = Deployment(
            stack_name=stack_name,
            parameters=pairs(parameter_overrides),
            tags=pairs(tags, "tag"),
            capabilities=tuple(c for value in capabilities for c in value.split()),
            execute=not no_execute_changeset,
            confirm=(lambda: click.confirm("Deploy this changeset?", default=False)) if confirm_changeset else None,
        )
    except failures as exc:
        fail(str(exc))
    target = target_of(endpoint_url, data_dir, config)
    stacks = _stacks(target, region)

    def say(text: str) -> None:
        stacks.console.print(text, style="dim", soft_wrap=True, markup=False)

    builder = Builder(cache_dir or cache_dir_default(), sys.executable, dict(os.environ), say)
    bucket = ArtifactBucket(target.url)
    runtimes = (target.found.running.get("runtimes") if target.found is not None else None) or {}
    try:
        deploy_app(template, deployment, builder, bucket, stacks, runtimes)
    except failures as exc:
        if not watch:
            fail(str(exc))
        click.secho(str(exc), err=True, fg="red")
    if not watch:
        return
    import dataclasses

    from overcast.deploy.watch import changes

    say(f"Watching {template.parent} for changes (Ctrl-C stops)")
    try:
        for changed in changes(template.parent):
            names = ", ".join(sorted(str(p.relative_to(template.parent)) for p in changed)[:5])
            say(f"Changed: {names}; deploying again")
            try:
                deploy_app(template, dataclasses.replace(deployment, confirm=None), builder, bucket, stacks, runtimes)
            except failures as exc:
                click.secho(str(exc), err=True, fg="red")
    except KeyboardInterrupt:
        return


@main.command()
@click.option("-t", "--template-file", "--template", type=click.Path(path_type=Path), default=None,
              help="The template (default: template.yaml or template.yml here).")  # fmt: skip
@click.option("--region", default=None, help="The region to transform for (default: the server's default region).")
@server_options
def validate(
    template_file: Path | None, region: str | None, endpoint_url: str | None, data_dir: Path | None, config: Path | None
) -> None:
    """Check a template: read it, run the SAM transform as a deploy would, and ask CloudFormation's ValidateTemplate."""
    from overcast.deploy.app import find_template, validate_app

    target = target_of(endpoint_url, data_dir, config)
    try:
        template = find_template(template_file, Path.cwd())
        click.echo(validate_app(template, target.settings.default_account, _stacks(target, region)))
    except app_failures() as exc:
        fail(f"{template_file or 'template'}: {exc}")


@main.command()
@click.argument("stack_name")
@click.option("--no-prompts", is_flag=True, help="Do not ask before deleting.")
@click.option("--region", default=None, help="The stack's region (default: the server's default region).")
@server_options
def delete(
    stack_name: str,
    no_prompts: bool,
    region: str | None,
    endpoint_url: str | None,
    data_dir: Path | None,
    config: Path | None,
) -> None:
    """Delete a stack and everything it made, printing its events until it is gone."""
    if not no_prompts and not click.confirm(f"Are you sure you want to delete the stack {stack_name}?", default=False):
        return
    target = target_of(endpoint_url, data_dir, config)
    try:
        _stacks(target, region).delete(stack_name)
    except app_failures() as exc:
        fail(str(exc))


@main.command(
    "generate-event",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
)
@click.argument("service", required=False)
@click.argument("kind", required=False)
@click.pass_context
def generate_event(context: click.Context, service: str | None, kind: str | None) -> None:
    """Print a sample event SERVICE sends a function, e.g. `overcast generate-event s3 put --bucket b --key k`
    (as `sam local generate-event`). Without arguments, list what there is."""
    from overcast.sample_events import CATALOGUE, UnknownSample, generate

    if service is None or kind is None:
        for name, kinds in sorted(CATALOGUE.items()):
            if service in (None, name):
                for kind_name, sample in sorted(kinds.items()):
                    click.echo(f"{name} {kind_name}: {sample.summary}")
        return
    options, extra = {}, list(context.args)
    while extra:
        flag = extra.pop(0)
        if not flag.startswith("--") or not extra:
            fail(f"Options come as --name value pairs; got {flag!r}.", 2)
        options[flag[2:]] = extra.pop(0)
    try:
        event = generate(service, kind, options)
    except UnknownSample as error:
        fail(str(error), 2)
        return
    click.echo(json.dumps(event, indent=2))


@main.command()
@click.option("--region", default=None, help="The stacks' region (default: the server's default region).")
@server_options
def stacks(region: str | None, endpoint_url: str | None, data_dir: Path | None, config: Path | None) -> None:
    """The stacks deployed (not deleted): name, status, last change."""
    from rich.table import Table

    client = target_of(endpoint_url, data_dir, config).client("cloudformation", region)
    table = Table(title="Stacks")
    for heading in ("stack", "status", "updated", "description"):
        table.add_column(heading)
    for page in client.get_paginator("describe_stacks").paginate():
        for stack in page["Stacks"]:
            changed = stack.get("LastUpdatedTime") or stack["CreationTime"]
            table.add_row(
                stack["StackName"], stack["StackStatus"], f"{changed:%Y-%m-%d %H:%M:%S}", stack.get("Description", "")
            )
    console().print(table)


@main.command()
@click.argument("function_name")
@click.option("--event", "-e", "event_file", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="A JSON file with the event ('-' reads stdin; default: {}).")  # fmt: skip
@click.option("--stack", "stack_name", default=None, help="Name the function by its logical id within this stack.")
@click.option("--region", default=None, help="The function's region (default: the server's default region).")
@server_options
def invoke(
    function_name: str,
    event_file: Path | None,
    stack_name: str | None,
    region: str | None,
    endpoint_url: str | None,
    data_dir: Path | None,
    config: Path | None,
) -> None:
    """Invoke a function once and print its answer; its log's tail goes to stderr."""
    import base64

    from botocore.exceptions import ClientError

    from overcast.cli.views import stack_functions

    payload = read_event(event_file)
    target = target_of(endpoint_url, data_dir, config)
    name = function_name
    try:
        if stack_name is not None:
            functions = stack_functions(target.client("cloudformation", region), stack_name)
            if function_name not in functions:
                known = ", ".join(sorted(functions)) or "none"
                fail(f"Stack {stack_name} has no function {function_name} (its functions: {known}).")
            name = functions[function_name]
        answer = target.client("lambda", region).invoke(FunctionName=name, Payload=payload, LogType="Tail")
    except ClientError as exc:
        fail(f"{exc.response['Error']['Code']}: {exc.response['Error']['Message']}")
        return
    log = base64.b64decode(answer.get("LogResult", "")).decode(errors="replace")
    click.echo(log.rstrip("\n"), err=True)
    click.echo(answer["Payload"].read().decode(errors="replace"))
    if answer.get("FunctionError"):
        sys.exit(1)


def read_event(event_file: Path | None) -> bytes:
    """The event a command invokes with: the file's JSON, stdin's for '-', `{}` for none; exit 2 if not JSON."""
    if event_file is None:
        return b"{}"
    payload = sys.stdin.buffer.read() if str(event_file) == "-" else event_file.read_bytes()
    try:
        json.loads(payload or b"{}")
    except ValueError as exc:
        fail(f"The event in {event_file} is not JSON: {exc}", 2)
    return payload or b"{}"
