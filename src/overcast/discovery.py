"""Discovery: which running Overcast a CLI command talks to, found where a user would look, in that order.

An explicit `--endpoint-url` or `--data-dir` names the one server to ask, and only it: when it
does not answer, the command says so rather than asking some other server. Without either flag
the command asks, in turn: the server that owns the configured data dir (`OVERCAST_DATA_DIR`, the
config file, or `./.overcast`), as its `overcast.json` names it; the server `AWS_ENDPOINT_URL`
names (where AWS tools are pointed already); and the address `overcast up` listens on with these
settings (`http://127.0.0.1:4566` by default). The first that answers `/_overcast/health` as
Overcast is the one; when none does, the error lists each place and what it answered.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STATE_FILE = "overcast.json"  # what a running server writes about itself into its data dir (server.py)
HEALTH_PATH = "/_overcast/health"


@dataclass(frozen=True, slots=True)
class Place:
    """Somewhere a server may answer: how the user named it, and its URL (None when it names none)."""

    name: str  # e.g. "--endpoint-url", "data dir /srv/overcast (OVERCAST_DATA_DIR)", "AWS_ENDPOINT_URL"
    url: str | None
    absent: str = ""  # why there is no URL to ask

    def __str__(self) -> str:
        return f"{self.name} ({self.url})" if self.url else self.name


@dataclass(frozen=True, slots=True)
class Found:
    """The server that answered, where it was found, and its health report."""

    url: str
    place: Place
    health: dict[str, Any]

    @property
    def running(self) -> dict[str, Any]:
        """What the server says runs (bus, helpers, store, isolation, pid, data dir)."""
        return dict(self.health.get("overcast") or {})


class NotFound(Exception):
    """No place answered; the message lists each place and its answer."""

    def __init__(self, tried: list[tuple[Place, str]]) -> None:
        self.tried = tried
        lines = "\n".join(f"  {place}: {answer}" for place, answer in tried)
        super().__init__(f"Overcast is not running where this command looked:\n{lines}\nStart it with: overcast up")


def read_state(data_dir: Path) -> dict[str, Any]:
    """What the running (or last) server wrote about itself into its data dir: url, pid, versions."""
    try:
        return dict(json.loads((data_dir / STATE_FILE).read_text()))
    except (OSError, ValueError):
        return {}


def url_for(host: str, port: int) -> str:
    """The URL to call a server listening on `host`: a wildcard address is no address to call."""
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    return f"http://{shown if ':' not in shown else f'[{shown}]'}:{port}"


def data_dir_place(data_dir: Path, how: str) -> Place:
    """The server that owns `data_dir`, as its state file names it."""
    name = f"data dir {data_dir} ({how})"
    url = read_state(data_dir).get("url")
    if not url:
        return Place(name, None, f"no {STATE_FILE} in it: no server runs on it")
    return Place(name, str(url))


def places(
    *,
    endpoint_url: str | None,
    data_dir: Path | None,
    configured_data_dir: tuple[Path, str],
    aws_endpoint_url: str | None,
    listen_url: str | None,
) -> list[Place]:
    """Where to look, in order. `endpoint_url` and `data_dir` are the command's flags (the only places
    when given); `configured_data_dir` is the data dir the settings give and which source gave it."""
    explicit = []
    if endpoint_url:
        explicit.append(Place("--endpoint-url", endpoint_url.rstrip("/")))
    if data_dir is not None:
        explicit.append(data_dir_place(data_dir, "--data-dir"))
    if explicit:
        return explicit
    found = [data_dir_place(*configured_data_dir)]
    if aws_endpoint_url:
        found.append(Place("AWS_ENDPOINT_URL", aws_endpoint_url.rstrip("/")))
    if listen_url:
        found.append(Place("the address overcast up listens on", listen_url))
    unique: list[Place] = []
    for place in found:
        if place.url is None or all(place.url != seen.url for seen in unique):
            unique.append(place)
    return unique


def ask(url: str, timeout: float) -> dict[str, Any] | str:
    """The health report of the Overcast at `url`, or why there is none."""
    import urllib.error  # here, not at the top: the server reads state files too, and never asks
    import urllib.request

    try:
        with urllib.request.urlopen(url + HEALTH_PATH, timeout=timeout) as response:
            report = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return f"answers HTTP {exc.code}: not an Overcast"
    except urllib.error.URLError as exc:
        return f"no answer ({exc.reason})"
    except (OSError, ValueError) as exc:
        return f"no answer ({exc})"
    if not isinstance(report, dict) or report.get("edition") != "overcast":
        return "answers, but is not an Overcast"
    return report


def find(candidates: list[Place], timeout: float = 2.0) -> Found:
    """The first place whose server answers; NotFound, listing every answer, when none does."""
    tried: list[tuple[Place, str]] = []
    for place in candidates:
        if place.url is None:
            tried.append((place, place.absent))
            continue
        answer = ask(place.url, timeout)
        if isinstance(answer, dict):
            return Found(place.url, place, answer)
        tried.append((place, answer))
    raise NotFound(tried)
