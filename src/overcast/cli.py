"""The `overcast` command: `up` runs the server, `status` says what runs, `logs` and `usage` read its functions.

Rich, boto3 and urllib are imported by the commands that print or ask with them: `overcast up`
starts the server, and every module imported before it is time and memory the server pays.
"""

from __future__ import annotations

import json
import platform
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from overcast import __version__
from overcast.config import ConfigError, Settings, load_settings
from overcast.deploy.parameters import SpacedValues
from overcast.discovery import Found, NotFound, find, places, url_for
from overcast.host import detect_isolation

if TYPE_CHECKING:
    from rich.console import Console

Command = TypeVar("Command", bound=Callable[..., Any])


def _console(stderr: bool = False, width: int | None = None) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, width=width)


def _fail(message: str, code: int = 1) -> None:
    click.secho(message, err=True, fg="red")
    sys.exit(code)


def _settings(config: Path | None, **flags: Any) -> Settings:
    try:
        return load_settings(flags=flags, config_file=config)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc


@click.group()
@click.version_option(__version__, prog_name="overcast")
def main() -> None:
    """Overcast: AWS Lambda, API Gateway, Step Functions and friends on your own machine."""


@main.command()
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port for every AWS API (default 4566; 0 picks a free one).")
@click.option("--data-dir", type=click.Path(path_type=Path), default=None, help="Where state lives.")
@click.option("--config", type=click.Path(path_type=Path), default=None, help="A TOML file of settings.")
@click.option("--log-level", default=None, help="critical, error, warning, info or debug.")
def up(host: str | None, port: int | None, data_dir: Path | None, config: Path | None, log_level: str | None) -> None:
    """Start Overcast in the foreground; Ctrl-C stops it and everything it started."""
    import logging

    from overcast.server import AlreadyRunning, PortInUse, run

    settings = _settings(config, host=host, port=port, data_dir=data_dir, log_level=log_level)
    logging.basicConfig(level=settings.log_level.upper() if settings.log_level != "trace" else "DEBUG")

    def ready(url: str) -> None:
        # One machine-readable line on stdout (tests and scripts wait for it), the rest on stderr.
        print(f"Overcast ready on {url}", flush=True)

    try:
        run(settings, on_ready=ready)
    except (AlreadyRunning, PortInUse) as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"Overcast could not start: {exc}")


_SERVER_OPTIONS = (
    click.option(
        "--endpoint-url",
        envvar="AWS_ENDPOINT_URL",
        show_envvar=True,
        default=None,
        help="The server's URL. From AWS_ENDPOINT_URL, it is asked after the data dir's server.",
    ),
    click.option("--data-dir", type=click.Path(path_type=Path), default=None, help="The data dir of its server."),
    click.option("--config", type=click.Path(path_type=Path), default=None, help="A TOML file of settings."),
)


def server_options(command: Command) -> Command:
    """The options that say which running server a command asks (see overcast.discovery for the order)."""
    for option in reversed(_SERVER_OPTIONS):
        command = option(command)
    return command


@dataclass(frozen=True, slots=True)
class Target:
    """The running server a command asks, or why none was found; and the settings it was looked for with."""

    settings: Settings
    found: Found | None
    missing: NotFound | None

    @property
    def url(self) -> str:
        if self.found is None:
            _fail(str(self.missing))
        assert self.found is not None
        return self.found.url

    def client(self, service: str, region: str | None) -> Any:
        """A boto3 client for the server, in its default account and `region` (default: its default region)."""
        import boto3

        settings = self.settings
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=region or settings.default_region,
            aws_access_key_id=settings.default_account,
            aws_secret_access_key="overcast",
        )


def _target(endpoint_url: str | None, data_dir: Path | None, config: Path | None) -> Target:
    settings = _settings(config, data_dir=data_dir)
    source = click.get_current_context().get_parameter_source("endpoint_url")
    from_environment = source is click.core.ParameterSource.ENVIRONMENT
    how = "the default" if settings.data_dir == Settings().data_dir else "configured"
    candidates = places(
        endpoint_url=None if from_environment else endpoint_url,
        data_dir=data_dir,
        configured_data_dir=(settings.data_dir, how),
        aws_endpoint_url=endpoint_url if from_environment else None,
        listen_url=url_for(settings.host, settings.port) if settings.port else None,
    )
    try:
        return Target(settings, find(candidates), None)
    except NotFound as exc:
        return Target(settings, None, exc)


@main.command()
@server_options
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status(endpoint_url: str | None, data_dir: Path | None, config: Path | None, as_json: bool) -> None:
    """What runs (found by its data dir or URL), the versions, and the isolation this host offers."""
    target = _target(endpoint_url, data_dir, config)
    report = status_report(target)
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    from rich.table import Table

    table = Table(show_header=False, box=None)
    table.add_row("state", "[green]running[/green]" if report["running"] else "[yellow]not running[/yellow]")
    for key in ("url", "found_at", "pid", "data_dir"):
        if report.get(key):
            table.add_row(key.replace("_", " "), str(report[key]))
    for looked in report.get("looked", []):
        table.add_row("looked at", f"{looked['place']}: {looked['answer']}")
    for name, version in report["versions"].items():
        if version:
            table.add_row(f"{name} version", str(version))
    if report.get("store"):
        table.add_row("store", str(report["store"].get("engine")))
    if report.get("bus"):
        bus = report["bus"]
        table.add_row("bus", f"{bus['state']}" + (f", {bus['url']}" if bus.get("url") else ""))
    for key in ("outbox_writer", "zygotes"):
        value = report.get(key)
        if isinstance(value, dict):
            value = "; ".join(f"{name}: {state}" for name, state in value.items())
        if value:
            table.add_row(key.replace("_", " "), str(value))
    for layer in report["isolation"]["layers"]:
        mark = "[green]in force[/green]" if layer["in_force"] else "[yellow]not in force[/yellow]"
        table.add_row(f"isolation: {layer['layer']}", f"{mark}, {layer['detail']}")
    if report["services"]:
        available = sorted(n for n, s in report["services"].items() if s == "available")
        table.add_row("services", ", ".join(available) or "none")
    _console().print(table)


def status_report(target: Target) -> dict[str, Any]:
    """`overcast status --json`: the server's own account of what runs, or where the command looked."""
    isolation = detect_isolation()
    running = target.found.running if target.found is not None else {}
    health = target.found.health if target.found is not None else {}
    bus = running.get("bus") or {}
    report: dict[str, Any] = {
        "running": target.found is not None,
        "url": target.found.url if target.found is not None else None,
        "found_at": str(target.found.place) if target.found is not None else None,
        "pid": running.get("pid"),
        "data_dir": running.get("data_dir") or str(target.settings.data_dir.resolve()),
        "versions": {
            "overcast": health.get("version", __version__),
            "python": platform.python_version(),
            "nats_server": bus.get("version"),
        },
        "store": running.get("store"),
        "bus": running.get("bus"),
        "outbox_writer": running.get("outbox_writer"),
        "zygotes": running.get("zygotes"),
        "isolation": {
            "root": isolation.root,
            "cgroups": f"v{isolation.cgroup_version}" if isolation.cgroup_version else None,
            "cgroups_writable": isolation.cgroup_writable,
            "namespaces": list(isolation.namespaces),
            "seccomp": isolation.seccomp,
            "readonly_mounts": isolation.readonly_mounts,
            # What the running server's sandboxes really use, else what this host offers.
            "summary": running.get("isolation") or isolation.describe(),
            "layers": running.get("isolation_layers") or [layer.as_dict() for layer in isolation.layers()],
        },
        "services": health.get("services", {}),
    }
    if target.missing is not None:
        report["looked"] = [{"place": str(place), "answer": answer} for place, answer in target.missing.tried]
    return report


_DURATION_UNITS_MS = {"s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}


def parse_since(text: str) -> int:
    """`30s`, `10m`, `2h`, `1d`, `1w` as milliseconds."""
    value, unit = text[:-1], text[-1:].lower()
    if not value.isdigit() or unit not in _DURATION_UNITS_MS:
        raise click.BadParameter(f"{text!r} is not a duration like 30s, 10m, 2h or 1d", param_hint="--since")
    return int(value) * _DURATION_UNITS_MS[unit]


def _get_json(url: str) -> Any:
    import urllib.request

    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def log_line(event: dict[str, Any]) -> str:
    """One event as `aws logs tail` prints it: ISO time, stream, message."""
    from datetime import UTC, datetime

    stamp = datetime.fromtimestamp(event["timestamp"] / 1000, UTC).isoformat(timespec="microseconds")
    return f"{stamp} {event['logStreamName']} {event['message'].rstrip(chr(10))}"


@dataclass
class LogTail:
    """Where `overcast logs` is in a log group: the newest timestamp printed and the events printed at it."""

    group: str
    start_ms: int
    seen: set[str] = field(default_factory=set)

    def poll(self, client: Any) -> list[dict[str, Any]]:
        """The group's events from `start_ms` on that were not printed yet, oldest first."""
        fresh: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"logGroupName": self.group, "startTime": self.start_ms}
        while True:
            page = client.filter_log_events(**kwargs)
            fresh += [e for e in page["events"] if e["eventId"] not in self.seen]
            if not page.get("nextToken"):
                break
            kwargs["nextToken"] = page["nextToken"]
        if fresh:
            newest = max(e["timestamp"] for e in fresh)
            if newest > self.start_ms:
                self.start_ms, self.seen = newest, set()
            self.seen |= {e["eventId"] for e in fresh if e["timestamp"] == newest}
        return fresh


@main.command()
@click.argument("function_name")
@click.option("--follow", "-f", is_flag=True, help="Keep printing new events as they arrive.")
@click.option("--since", default="10m", show_default=True, help="How far back to start: 30s, 10m, 2h, 1d.")
@click.option("--region", default=None, help="The function's region (default: the server's default region).")
@server_options
def logs(
    function_name: str,
    follow: bool,
    since: str,
    region: str | None,
    endpoint_url: str | None,
    data_dir: Path | None,
    config: Path | None,
) -> None:
    """Print a function's log (/aws/lambda/FUNCTION_NAME), like `aws logs tail`."""
    import time

    from botocore.exceptions import ClientError

    since_ms = parse_since(since)
    client = _target(endpoint_url, data_dir, config).client("logs", region)
    group = function_name if function_name.startswith("/") else f"/aws/lambda/{function_name}"
    tail = LogTail(group, int(time.time() * 1000) - since_ms)
    try:
        while True:
            try:
                for event in tail.poll(client):
                    click.echo(log_line(event))
                sys.stdout.flush()
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ResourceNotFoundException" or not follow:
                    _fail(f"{exc.response['Error']['Message']} ({group})")
            if not follow:
                return
            time.sleep(1)
    except KeyboardInterrupt:
        return


@main.command()
@click.option("--since", default=None, help="Only invocations this recent: 30s, 10m, 2h, 1d (default: all).")
@click.option("--json", "as_json", is_flag=True, help="Print the usage as JSON.")
@server_options
def usage(
    since: str | None, as_json: bool, endpoint_url: str | None, data_dir: Path | None, config: Path | None
) -> None:
    """Invocations, GB-seconds and their cost at AWS's prices, per function."""
    import time

    path = "/_overcast/usage"
    if since is not None:
        path += f"/since_ms={int(time.time() * 1000) - parse_since(since)}"
    report = _get_json(_target(endpoint_url, data_dir, config).url + path)
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    from rich.table import Table

    table = Table(title="Lambda usage" + (f" (last {since})" if since else ""))
    for heading in ("function", "account", "region"):
        table.add_column(heading)
    for heading in ("requests", "cold", "errors", "GB-seconds", "cost", "after free tier"):
        table.add_column(heading, justify="right")
    rows = report["functions"]
    for row in rows:
        table.add_row(
            row["function_name"],
            row["account"],
            row["region"],
            f"{row['requests']:,}",
            f"{row['cold_starts']:,}",
            f"{row['errors']:,}",
            f"{row['gb_seconds']:,.3f}",
            f"${row['cost']:,.6f}",
            f"${row['cost_after_free_tier']:,.6f}",
        )
    if rows:
        table.add_row(
            "total",
            "",
            "",
            f"{sum(r['requests'] for r in rows):,}",
            f"{sum(r['cold_starts'] for r in rows):,}",
            f"{sum(r['errors'] for r in rows):,}",
            f"{sum(r['gb_seconds'] for r in rows):,.3f}",
            f"${sum(r['cost'] for r in rows):,.6f}",
            f"${sum(r['cost_after_free_tier'] for r in rows):,.6f}",
            style="bold",
        )
    _console(width=max(120, _console().width)).print(table)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the endpoints as JSON.")
@server_options
def apis(as_json: bool, endpoint_url: str | None, data_dir: Path | None, config: Path | None) -> None:
    """API Gateway stages and their URLs: by Host, and by path for clients that cannot set Host."""
    found = _get_json(_target(endpoint_url, data_dir, config).url + "/_overcast/apis")["endpoints"]
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    from rich.table import Table

    table = Table(title="API Gateway endpoints")
    for heading in ("api", "id", "type", "stage", "URL (Host)", "URL (path)"):
        table.add_column(heading)
    for e in found:
        table.add_row(e["name"], e["api_id"], e["kind"], e["stage"], e["host_url"], e["path_url"])
    _console(width=max(160, _console().width)).print(table)


def _stacks(target: Target, region: str | None) -> Any:
    """CloudFormation's stacks on the target server, printing to the terminal."""
    from overcast.deploy.stack import Stacks

    client = target.client("cloudformation", region)
    return Stacks(client, _console(width=max(120, _console().width)), target.url)


def _app_failures() -> tuple[type[Exception], ...]:
    """What an app command reports as a one-line error (and exit 1) rather than a traceback."""
    from overcast.deploy.build import BuildFailed
    from overcast.deploy.parameters import BadOverride
    from overcast.deploy.stack import DeployFailed
    from overcast.errors import AwsError

    return BuildFailed, DeployFailed, BadOverride, AwsError, FileNotFoundError


def _cache_dir() -> Path:
    """Where built dependencies are kept between deploys: $XDG_CACHE_HOME/overcast/builds (~/.cache/...)."""
    import os

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
    import os

    from overcast.deploy.app import Deployment, deploy_app, find_template
    from overcast.deploy.build import Builder
    from overcast.deploy.parameters import pairs
    from overcast.deploy.uploads import ArtifactBucket

    failures = _app_failures()
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
        _fail(str(exc))
    target = _target(endpoint_url, data_dir, config)
    stacks = _stacks(target, region)

    def say(text: str) -> None:
        stacks.console.print(text, style="dim", soft_wrap=True, markup=False)

    builder = Builder(cache_dir or _cache_dir(), sys.executable, dict(os.environ), say)
    bucket = ArtifactBucket(target.url)
    try:
        deploy_app(template, deployment, builder, bucket, stacks)
    except failures as exc:
        if not watch:
            _fail(str(exc))
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
                deploy_app(template, dataclasses.replace(deployment, confirm=None), builder, bucket, stacks)
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

    target = _target(endpoint_url, data_dir, config)
    try:
        template = find_template(template_file, Path.cwd())
        click.echo(validate_app(template, target.settings.default_account, _stacks(target, region)))
    except _app_failures() as exc:
        _fail(f"{template_file or 'template'}: {exc}")


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
    target = _target(endpoint_url, data_dir, config)
    try:
        _stacks(target, region).delete(stack_name)
    except _app_failures() as exc:
        _fail(str(exc))


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
            _fail(f"Options come as --name value pairs; got {flag!r}.", 2)
        options[flag[2:]] = extra.pop(0)
    try:
        event = generate(service, kind, options)
    except UnknownSample as error:
        _fail(str(error), 2)
        return
    click.echo(json.dumps(event, indent=2))
