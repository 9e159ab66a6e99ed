"""The `overcast` command: `up` runs the server, `status` says what runs, `logs` and `usage` read its functions."""

from __future__ import annotations

import json
import platform
import sys
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from overcast import __version__
from overcast.config import ConfigError, Settings, load_settings
from overcast.host import detect_isolation

console = Console(stderr=True)


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

    from overcast.server import AlreadyRunning, run

    settings = _settings(config, host=host, port=port, data_dir=data_dir, log_level=log_level)
    logging.basicConfig(level=settings.log_level.upper() if settings.log_level != "trace" else "DEBUG")

    def ready(url: str) -> None:
        # One machine-readable line on stdout (tests and scripts wait for it), the rest on stderr.
        print(f"Overcast ready on {url}", flush=True)

    try:
        run(settings, on_ready=ready)
    except AlreadyRunning as exc:
        console.print(f"[red]{exc}[/red]")
        sys.exit(1)
    except OSError as exc:
        console.print(f"[red]Overcast could not start: {exc}[/red]")
        sys.exit(1)


@main.command()
@click.option("--data-dir", type=click.Path(path_type=Path), default=None, help="The data dir of the server to ask.")
@click.option("--config", type=click.Path(path_type=Path), default=None)
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status(data_dir: Path | None, config: Path | None, as_json: bool) -> None:
    """What runs on a data dir, the versions, and the isolation this host offers."""
    from overcast.server import read_state

    settings = _settings(config, data_dir=data_dir)
    state = read_state(settings.data_dir)
    health: dict[str, Any] = {}
    if state.get("url"):
        try:
            with urllib.request.urlopen(state["url"] + "/_overcast/health", timeout=2) as response:
                health = json.loads(response.read())
        except OSError:
            health = {}
    isolation = detect_isolation()
    report = {
        "running": bool(health),
        "url": state.get("url"),
        "pid": state.get("pid"),
        "data_dir": str(settings.data_dir.resolve()),
        "versions": {
            "overcast": __version__,
            "python": platform.python_version(),
            "nats_server": (state.get("nats_server") or {}).get("version"),
        },
        "store": state.get("store"),
        "bus": state.get("nats_server"),
        "isolation": {
            "root": isolation.root,
            "cgroups": f"v{isolation.cgroup_version}" if isolation.cgroup_version else None,
            "cgroups_writable": isolation.cgroup_writable,
            "namespaces": list(isolation.namespaces),
            # What the running server's sandboxes really use, else what this host offers.
            "summary": state.get("isolation") or isolation.describe(),
        },
        "services": health.get("services", {}),
    }
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    out = Console()
    table = Table(show_header=False, box=None)
    table.add_row("state", "[green]running[/green]" if report["running"] else "[yellow]not running[/yellow]")
    for key in ("url", "pid", "data_dir"):
        if report[key]:
            table.add_row(key, str(report[key]))
    for name, version in report["versions"].items():
        if version:
            table.add_row(f"{name} version", str(version))
    if report["store"]:
        table.add_row("store", str(report["store"].get("engine")))
    table.add_row("isolation", report["isolation"]["summary"])
    if report["services"]:
        available = sorted(n for n, s in report["services"].items() if s == "available")
        table.add_row("services", ", ".join(available) or "none")
    out.print(table)


_DURATION_UNITS_MS = {"s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}


def parse_since(text: str) -> int:
    """`30s`, `10m`, `2h`, `1d`, `1w` as milliseconds."""
    value, unit = text[:-1], text[-1:].lower()
    if not value.isdigit() or unit not in _DURATION_UNITS_MS:
        raise click.BadParameter(f"{text!r} is not a duration like 30s, 10m, 2h or 1d", param_hint="--since")
    return int(value) * _DURATION_UNITS_MS[unit]


def _server_url(data_dir: Path | None, config: Path | None) -> str:
    from overcast.server import read_state

    settings = _settings(config, data_dir=data_dir)
    url = read_state(settings.data_dir).get("url")
    if not url:
        console.print(f"[red]Overcast is not running on data dir {settings.data_dir} (start it: overcast up)[/red]")
        sys.exit(1)
    return str(url)


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
@click.option("--data-dir", type=click.Path(path_type=Path), default=None, help="The data dir of the server to ask.")
@click.option("--config", type=click.Path(path_type=Path), default=None)
def logs(
    function_name: str, follow: bool, since: str, region: str | None, data_dir: Path | None, config: Path | None
) -> None:
    """Print a function's log (/aws/lambda/FUNCTION_NAME), like `aws logs tail`."""
    import time

    import boto3
    from botocore.exceptions import ClientError

    since_ms = parse_since(since)
    url = _server_url(data_dir, config)
    settings = _settings(config, data_dir=data_dir)
    client = boto3.client(
        "logs",
        endpoint_url=url,
        region_name=region or settings.default_region,
        aws_access_key_id=settings.default_account,
        aws_secret_access_key="overcast",
    )
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
                    console.print(f"[red]{exc.response['Error']['Message']} ({group})[/red]")
                    sys.exit(1)
            if not follow:
                return
            time.sleep(1)
    except KeyboardInterrupt:
        return


@main.command()
@click.option("--since", default=None, help="Only invocations this recent: 30s, 10m, 2h, 1d (default: all).")
@click.option("--json", "as_json", is_flag=True, help="Print the usage as JSON.")
@click.option("--data-dir", type=click.Path(path_type=Path), default=None, help="The data dir of the server to ask.")
@click.option("--config", type=click.Path(path_type=Path), default=None)
def usage(since: str | None, as_json: bool, data_dir: Path | None, config: Path | None) -> None:
    """Invocations, GB-seconds and their cost at AWS's prices, per function."""
    import time

    path = "/_overcast/usage"
    if since is not None:
        path += f"/since_ms={int(time.time() * 1000) - parse_since(since)}"
    url = _server_url(data_dir, config)
    with urllib.request.urlopen(url + path, timeout=10) as response:
        report = json.loads(response.read())
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
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
    Console(width=max(120, Console().width)).print(table)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the endpoints as JSON.")
@click.option("--data-dir", type=click.Path(path_type=Path), default=None, help="The data dir of the server to ask.")
@click.option("--config", type=click.Path(path_type=Path), default=None)
def apis(as_json: bool, data_dir: Path | None, config: Path | None) -> None:
    """API Gateway stages and their URLs: by Host, and by path for clients that cannot set Host."""
    url = _server_url(data_dir, config)
    with urllib.request.urlopen(url + "/_overcast/apis", timeout=10) as response:
        found = json.loads(response.read())["endpoints"]
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    table = Table(title="API Gateway endpoints")
    for heading in ("api", "id", "type", "stage", "URL (Host)", "URL (path)"):
        table.add_column(heading)
    for e in found:
        table.add_row(e["name"], e["api_id"], e["kind"], e["stage"], e["host_url"], e["path_url"])
    Console(width=max(160, Console().width)).print(table)
