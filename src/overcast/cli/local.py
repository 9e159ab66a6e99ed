"""`overcast local invoke`: one function of a template run once in Overcast's sandbox with no server, as
`sam local invoke` runs one (https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/
sam-cli-command-reference-sam-local-invoke.html): its log to stderr, its answer to stdout, exit 1 on a
function error."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import click

from overcast.cli import fail, main, server_options, target_of
from overcast.cli.app import app_failures, cache_dir_default, read_event
from overcast.deploy.parameters import SpacedValues


@main.group()
def local() -> None:
    """Run a template's functions on this machine with no server, as `sam local` does."""


@local.command()
@click.argument("function_logical_id", required=False)
@click.option("-t", "--template-file", "--template", type=click.Path(path_type=Path), default=None,
              help="The template (default: template.yaml or template.yml here).")  # fmt: skip
@click.option("--event", "-e", "event_file", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="A JSON file with the event ('-' reads stdin; default: {}).")  # fmt: skip
@click.option("--env-vars", "-n", type=click.Path(path_type=Path, dir_okay=False, exists=True), default=None,
              help='JSON: {"Parameters": {VAR: value}} for all functions, {"<LogicalId>": {...}} for one.')  # fmt: skip
@click.option("--parameter-overrides", cls=SpacedValues, multiple=True,
              help="Key=Value pairs (or ParameterKey=K,ParameterValue=V), space-separated.")  # fmt: skip
@click.option("--cache-dir", type=click.Path(path_type=Path), default=None,
              help="Where built dependencies are kept (default: ~/.cache/overcast/builds).")  # fmt: skip
@server_options
def invoke(
    function_logical_id: str | None,
    template_file: Path | None,
    event_file: Path | None,
    env_vars: Path | None,
    parameter_overrides: tuple[str, ...],
    cache_dir: Path | None,
    endpoint_url: str | None,
    data_dir: Path | None,
    config: Path | None,
) -> None:
    """Invoke one function of a template once, in a sandbox, with no server (as `sam local invoke`). Its log
    goes to stderr, its answer to stdout. With no FUNCTION_LOGICAL_ID, the template's only function."""
    from overcast.deploy.app import find_template
    from overcast.deploy.build import Builder
    from overcast.deploy.local_function import NoSuchFunction, local_function
    from overcast.deploy.local_invocation import invoke_once, prepare
    from overcast.deploy.package import read_template
    from overcast.deploy.parameters import pairs
    from overcast.templates.errors import TemplateValidationError

    event = read_event(event_file)
    failures: tuple[type[Exception], ...] = (*app_failures(), NoSuchFunction, TemplateValidationError, ValueError)
    target = target_of(endpoint_url, data_dir, config)
    settings = target.settings
    try:
        template = find_template(template_file, Path.cwd())
        variables: Any = json.loads(env_vars.read_text()) if env_vars is not None else {}
        function = local_function(
            read_template(template),
            template.parent,
            function_logical_id,
            region=settings.default_region,
            account=settings.default_account,
            parameters=pairs(parameter_overrides),
            env_vars=variables,
        )
    except failures as exc:
        fail(str(exc))
        return
    if target.found is None:
        click.echo(
            "No running Overcast found: the function runs with no AWS_ENDPOINT_URL (start one with overcast up).",
            err=True,
        )

    def say(text: str) -> None:
        click.secho(text, err=True, dim=True)

    builder = Builder(cache_dir or cache_dir_default(), sys.executable, dict(os.environ), say)
    with tempfile.TemporaryDirectory(prefix="overcast-local-") as work:
        try:
            prepared = prepare(function, builder, Path(work) / "package")
            (Path(work) / "sandboxes").mkdir()
            result = asyncio.run(
                invoke_once(
                    function,
                    prepared,
                    event,
                    settings,
                    endpoint_url=target.found.url if target.found is not None else None,
                    sandbox_dir=Path(work) / "sandboxes",
                )
            )
        except failures as exc:
            fail(str(exc))
            return
    click.echo("\n".join(result.log), err=True)
    click.echo(result.payload.decode(errors="replace"))
    if result.function_error:
        sys.exit(1)
