"""OnDemandBus against the real binary: nothing runs before its first use, one start for all, all stopped."""

from __future__ import annotations

import asyncio
from pathlib import Path

import psutil

from overcast.bus.limits import JetStreamLimits, MiB
from overcast.bus.on_demand import NOT_CONNECTED, NOT_STARTED, OnDemandBus
from overcast.bus.server import EmbeddedNats
from tests.bus.embedded import url_with_credentials
from tests.bus.test_server import assert_dies_with_its_starter, wait_until_gone


def nats_servers_under(store_dir: Path) -> list[psutil.Process]:
    return [p for p in psutil.process_iter(["name", "cmdline"]) if str(store_dir) in " ".join(p.info["cmdline"] or ())]


async def test_the_embedded_server_starts_on_first_use_once_and_stops_on_close(tmp_path: Path) -> None:
    store_dir = tmp_path / "nats"
    limits = JetStreamLimits(store_bytes=64 * MiB, memory_bytes=16 * MiB, stream_bytes=4 * MiB)
    bus = OnDemandBus(None, store_dir, limits)
    assert bus.describe() == {"state": NOT_STARTED, "embedded": True, "url": None}
    assert not bus.started and not store_dir.exists() and not nats_servers_under(store_dir)

    first, second = await asyncio.gather(bus.get(), bus.get())  # two first users: one server

    assert first is second and bus.started
    running = bus.describe()
    assert running["state"] == "running" and running["version"] == "2.15.1"
    assert running["url"].startswith("nats://127.0.0.1:")
    assert [p.pid for p in nats_servers_under(store_dir)] == [running["pid"]]
    assert (await first.health()).jetstream
    assert (await first.ensure_stream("FIRST", ["first"])).max_bytes == 4 * MiB  # the limits passed down
    assert await bus.get() is first

    await bus.close()

    assert await wait_until_gone(running["pid"])
    assert bus.describe()["state"] == NOT_STARTED
    await bus.close()  # idempotent


async def test_a_configured_nats_is_connected_on_first_use_with_its_credentials_and_left_running(
    nats_server: EmbeddedNats, tmp_path: Path
) -> None:
    # A user's NATS URL keeps working with the credentials it carries, which are never shown.
    bus = OnDemandBus(url_with_credentials(nats_server), tmp_path / "unused")
    shown = nats_server.url.replace("nats://", "nats://***@") if nats_server.url else None
    assert bus.describe() == {"state": NOT_CONNECTED, "embedded": False, "url": shown}

    connection = await bus.get()

    assert connection.connected
    assert bus.describe() == {"state": "connected", "embedded": False, "url": shown}
    assert not (tmp_path / "unused").exists()  # no nats-server of its own
    await bus.close()
    assert nats_server.running and not connection.connected


async def test_killing_overcast_after_first_use_kills_the_nats_server_it_started(tmp_path: Path) -> None:
    # First use happens in a request's task, long after start-up: the server must still die with Overcast.
    await assert_dies_with_its_starter(
        f"""
        from overcast.bus.on_demand import OnDemandBus
        bus = OnDemandBus(None, Path({str(tmp_path)!r}))
        await asyncio.create_task(bus.get())
        print(bus.describe()["pid"], flush=True)
        """
    )
