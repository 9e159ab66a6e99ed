"""EmbeddedNats lifecycle against the real binary: start, stop, one server per store, crash safety."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from overcast.bus.server import EmbeddedNats, EmbeddedNatsError, binary_version, nats_server_binary
from tests.bus.embedded import connected


def gone(pid: int) -> bool:
    """The process no longer runs (it may linger as a zombie until its new parent reaps it)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


async def wait_until_gone(pid: int, limit: float = 5.0) -> bool:
    """Liveness poll, not a timing assertion: a generous limit, short polls."""
    deadline = time.monotonic() + limit
    while not gone(pid):
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


def test_binary_comes_from_the_wheel_next_to_this_interpreter() -> None:
    binary = nats_server_binary()
    assert binary.parent == Path(sys.executable).parent or "site-packages" in str(binary)
    assert binary_version(binary) == "2.15.1"


async def test_start_reports_url_and_stop_leaves_no_process(tmp_path: Path) -> None:
    server = EmbeddedNats(tmp_path)
    url = await server.start()
    pid = server.pid
    assert pid is not None
    assert url.startswith("nats://127.0.0.1:") and url == server.url
    assert server.version == "2.15.1"
    assert "sync_interval: always" in server.config_path.read_text()
    status = server.status()
    assert status.running and status.pid == pid and status.rss_bytes and status.rss_bytes > 0
    bus = await connected(server)
    assert (await bus.health()).jetstream
    await bus.close()

    await server.stop()

    assert not psutil.pid_exists(pid)
    assert not server.running and server.url is None
    assert "Server Exiting" in server.log_path.read_text()
    await server.stop()  # idempotent


async def test_second_server_on_the_same_store_is_refused(tmp_path: Path) -> None:
    # nats-server itself starts a second server on the same store_dir (both then write the same
    # files), so EmbeddedNats refuses it with a lock on the store.
    async with EmbeddedNats(tmp_path) as first:
        second = EmbeddedNats(tmp_path, lock_wait=0)
        with pytest.raises(EmbeddedNatsError, match="in use by another nats-server"):
            await second.start()
        assert first.running and not second.running
    async with EmbeddedNats(tmp_path, lock_wait=0) as after:  # free once the first has stopped
        assert after.running


async def test_start_failure_reports_the_log(tmp_path: Path) -> None:
    server = EmbeddedNats(tmp_path, host="256.0.0.1")
    with pytest.raises(EmbeddedNatsError, match="exited"):
        await server.start()
    assert not server.running


async def assert_dies_with_its_starter(main: str) -> None:
    """Run `main` (an async function's body that starts a nats-server and prints its pid) in a process of
    its own, kill that process with SIGKILL, and check that the nats-server went with it."""
    body = textwrap.indent(textwrap.dedent(main).strip() + "\nawait asyncio.Event().wait()\n", "    ")
    script = f"import asyncio\nfrom pathlib import Path\n\nasync def main():\n{body}\nasyncio.run(main())\n"
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(parent.stdout.readline), 30)
        nats_pid = int(line)
        assert not gone(nats_pid)
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        assert await wait_until_gone(nats_pid), "nats-server outlived the process that started it"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()


async def test_killing_overcast_kills_its_nats_server(tmp_path: Path) -> None:
    await assert_dies_with_its_starter(
        f"""
        from overcast.bus.server import EmbeddedNats
        server = EmbeddedNats(Path({str(tmp_path)!r}))
        await server.start()
        print(server.pid, flush=True)
        """
    )
    async with EmbeddedNats(tmp_path) as restarted:  # the crashed node's store is reusable
        assert restarted.running


async def test_acknowledged_messages_survive_a_killed_server(tmp_path: Path) -> None:
    server = EmbeddedNats(tmp_path)
    await server.start()
    bus = await connected(server)
    await bus.ensure_stream("DURABLE", ["durable.>"])
    count = 200
    for i in range(count):
        await bus.publish(f"durable.{i % 4}", b"message %d" % i, headers={"i": str(i)})
    # On a work-queue stream an ack deletes the message, a stream write, so the ack is durable too.
    await bus.ensure_stream("WORK", ["work"], retention="workqueue")
    await bus.ensure_consumer("WORK", "worker")
    for i in range(10):
        await bus.publish("work", b"job %d" % i)
    for message in await bus.fetch("WORK", "worker", batch=4):
        await message.ack()

    assert server.pid is not None
    os.kill(server.pid, signal.SIGKILL)
    await server.stop()
    await bus.close()

    restarted = EmbeddedNats(tmp_path)
    await restarted.start()
    bus = await connected(restarted)
    try:
        state = await bus.stream_state("DURABLE")
        assert (state.messages, state.last_sequence) == (count, count)
        stored = await bus.read("DURABLE", limit=count)
        assert [m.data for m in stored] == [b"message %d" % i for i in range(count)]
        assert stored[-1].headers == {"i": str(count - 1)}
        work = await bus.stream_state("WORK")
        assert (work.messages, work.first_sequence) == (6, 5)
        assert [m.data for m in await bus.fetch("WORK", "worker", batch=10)] == [b"job %d" % i for i in range(4, 10)]
    finally:
        await bus.close()
        await restarted.stop()
