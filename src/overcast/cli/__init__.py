"""The `overcast` command: the group, and what its commands share (finding the server they ask, failing clearly).

Its commands live by what they are for: `server.py` (`up`), `views.py` (`status`, `logs`, `usage`, `apis`),
`app.py` (`deploy`, `validate`, `delete`, `invoke`, `stacks`, `generate-event`), `local.py` (`local invoke`).

Rich, boto3 and urllib are imported by the commands that print or ask with them: `overcast up`
starts the server, and every module imported before it is time and memory the server pays.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from overcast import __version__
from overcast.config import ConfigError, Settings, load_settings
from overcast.discovery import Found, NotFound, find, places, url_for

if TYPE_CHECKING:
    from rich.console import Console

Command = TypeVar("Command", bound=Callable[..., Any])


def console(stderr: bool = False, width: int | None = None) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, width=width)


def fail(message: str, code: int = 1) -> None:
    click.secho(message, err=True, fg="red")
    sys.exit(code)


def settings_from(config: Path | None, **flags: Any) -> Settings:
    try:
        return load_settings(flags=flags, config_file=config)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc


@click.group()
@click.version_option(__version__, prog_name="overcast")
def main() -> None:
    """Overcast: AWS Lambda, API Gateway, Step Functions and friends on your own machine."""


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
            fail(str(self.missing))
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


def target_of(endpoint_url: str | None, data_dir: Path | None, config: Path | None) -> Target:
    settings = settings_from(config, data_dir=data_dir)
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


from overcast.cli import app, local, server, views  # noqa: E402, F401  (each registers its commands on `main`)
