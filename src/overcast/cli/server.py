"""`overcast up`: run the server in the foreground until SIGINT / SIGTERM."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from overcast.cli import fail, main, settings_from

if TYPE_CHECKING:
    pass


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

    settings = settings_from(config, host=host, port=port, data_dir=data_dir, log_level=log_level)
    logging.basicConfig(level=settings.log_level.upper() if settings.log_level != "trace" else "DEBUG")

    def ready(url: str) -> None:
        # One machine-readable line on stdout (tests and scripts wait for it), the rest on stderr.
        print(f"Overcast ready on {url}", flush=True)

    try:
        run(settings, on_ready=ready)
    except (AlreadyRunning, PortInUse) as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"Overcast could not start: {exc}")
