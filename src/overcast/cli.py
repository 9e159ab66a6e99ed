"""The `overcast` command: `up` runs the server, `status` says what runs and what this host offers."""

from __future__ import annotations

import asyncio
import json
import platform
import sys
import urllib.request
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

    from overcast.server import AlreadyRunning, serve

    settings = _settings(config, host=host, port=port, data_dir=data_dir, log_level=log_level)
    logging.basicConfig(level=settings.log_level.upper() if settings.log_level != "trace" else "DEBUG")

    def ready(url: str) -> None:
        # One machine-readable line on stdout (tests and scripts wait for it), the rest on stderr.
        print(f"Overcast ready on {url}", flush=True)

    try:
        asyncio.run(serve(settings, on_ready=ready))
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
            "summary": isolation.describe(),
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
    table.add_row("isolation", isolation.describe())
    if report["services"]:
        available = sorted(n for n, s in report["services"].items() if s == "available")
        table.add_row("services", ", ".join(available) or "none")
    out.print(table)
