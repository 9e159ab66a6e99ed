"""What a running server shows: `overcast status`, `logs`, `usage` and `apis`."""

from __future__ import annotations

import json
import platform
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from overcast import __version__
from overcast.cli import Target, console, fail, main, server_options, target_of
from overcast.host import detect_isolation

if TYPE_CHECKING:
    pass


@main.command()
@server_options
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status(endpoint_url: str | None, data_dir: Path | None, config: Path | None, as_json: bool) -> None:
    """What runs (found by its data dir or URL), the versions, and the isolation this host offers."""
    target = target_of(endpoint_url, data_dir, config)
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
    console().print(table)


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


def stack_functions(client: Any, stack_name: str) -> dict[str, str]:
    """A stack's functions: logical id -> function name, from its resources (boto3 cloudformation `client`)."""
    pages = client.get_paginator("list_stack_resources").paginate(StackName=stack_name)
    return {
        resource["LogicalResourceId"]: resource["PhysicalResourceId"]
        for page in pages
        for resource in page["StackResourceSummaries"]
        if resource["ResourceType"] == "AWS::Lambda::Function" and resource.get("PhysicalResourceId")
    }


@main.command()
@click.argument("function_name", required=False)
@click.option(
    "--stack", "stack_name", default=None, help="A stack: its functions' logs (or FUNCTION_NAME's, by logical id)."
)
@click.option("--follow", "-f", is_flag=True, help="Keep printing new events as they arrive.")
@click.option("--since", default="10m", show_default=True, help="How far back to start: 30s, 10m, 2h, 1d.")
@click.option("--region", default=None, help="The function's region (default: the server's default region).")
@server_options
def logs(
    function_name: str | None,
    stack_name: str | None,
    follow: bool,
    since: str,
    region: str | None,
    endpoint_url: str | None,
    data_dir: Path | None,
    config: Path | None,
) -> None:
    """Print a function's log (/aws/lambda/FUNCTION_NAME), or a stack's functions' (--stack), like `aws logs tail`."""

    from botocore.exceptions import ClientError

    since_ms = parse_since(since)
    target = target_of(endpoint_url, data_dir, config)
    client = target.client("logs", region)
    names = [function_name] if function_name else []
    if stack_name is not None:
        try:
            functions = stack_functions(target.client("cloudformation", region), stack_name)
        except ClientError as exc:
            fail(exc.response["Error"]["Message"])
            return
        if function_name is not None and function_name in functions:
            names = [functions[function_name]]
        elif function_name is None:
            names = sorted(functions.values())
        if not names:
            fail(f"Stack {stack_name} has no functions.")
    if not names:
        fail("Name a function, or a stack with --stack.", 2)
    start = int(time.time() * 1000) - since_ms
    tails = [LogTail(name if name.startswith("/") else f"/aws/lambda/{name}", start) for name in names]
    try:
        while True:
            fresh: list[dict[str, Any]] = []
            for tail in tails:
                try:
                    fresh += tail.poll(client)
                except ClientError as exc:
                    missing = exc.response["Error"]["Code"] == "ResourceNotFoundException"
                    if not missing or (not follow and len(tails) == 1):
                        fail(f"{exc.response['Error']['Message']} ({tail.group})")
            for event in sorted(fresh, key=lambda e: e["timestamp"]):
                click.echo(log_line(event))
            sys.stdout.flush()
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

    path = "/_overcast/usage"
    if since is not None:
        path += f"/since_ms={int(time.time() * 1000) - parse_since(since)}"
    report = _get_json(target_of(endpoint_url, data_dir, config).url + path)
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
    console(width=max(120, console().width)).print(table)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the endpoints as JSON.")
@server_options
def apis(as_json: bool, endpoint_url: str | None, data_dir: Path | None, config: Path | None) -> None:
    """API Gateway stages and their URLs: by Host, and by path for clients that cannot set Host."""
    found = _get_json(target_of(endpoint_url, data_dir, config).url + "/_overcast/apis")["endpoints"]
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    from rich.table import Table

    table = Table(title="API Gateway endpoints")
    for heading in ("api", "id", "type", "stage", "URL (Host)", "URL (path)"):
        table.add_column(heading)
    for e in found:
        table.add_row(e["name"], e["api_id"], e["kind"], e["stage"], e["host_url"], e["path_url"])
    console(width=max(160, console().width)).print(table)
