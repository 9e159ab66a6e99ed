"""Only Overcast reaches the embedded nats-server: a client without the credentials made at its start is refused."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import nats
import nats.errors
import psutil
import pytest

from overcast.bus.connection import Bus
from overcast.bus.credentials import Credentials, shown
from overcast.bus.server import EmbeddedNats
from overcast.errors import ServiceUnavailable
from tests.bus.embedded import connected


async def test_a_client_without_the_credentials_is_refused(nats_server: EmbeddedNats) -> None:
    # What a function on the host could try: the port is on loopback, so it can connect, but not log in.
    assert nats_server.url is not None and nats_server.credentials is not None
    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        await nats.connect(nats_server.url, allow_reconnect=False, connect_timeout=2)
    wrong = Credentials(nats_server.credentials.user, "not-the-password")
    with pytest.raises(ServiceUnavailable, match="Authorization Violation"):
        await Bus.connect(nats_server.url, credentials=wrong, timeout=1)


async def test_a_client_with_the_credentials_works(nats_server: EmbeddedNats, name: str) -> None:
    bus = await connected(nats_server)
    try:
        await bus.ensure_stream(name, [name])
        assert await bus.publish(name, b"mine") == 1
        assert [m.data for m in await bus.read(name)] == [b"mine"]
    finally:
        await bus.close()


async def test_the_server_listens_on_one_loopback_port_and_requires_authentication(nats_server: EmbeddedNats) -> None:
    assert nats_server.url is not None and nats_server.pid is not None
    listening = [c.laddr for c in psutil.Process(nats_server.pid).net_connections("inet") if c.status == "LISTEN"]
    assert [(address.ip, f"nats://127.0.0.1:{address.port}") for address in listening] == [
        ("127.0.0.1", nats_server.url)  # no monitoring, cluster or leaf node port
    ]
    info = await EmbeddedNats._probe(nats_server.url)
    assert info is not None and info["auth_required"] is True


async def test_the_password_is_only_in_a_file_its_owner_alone_can_read(nats_server: EmbeddedNats) -> None:
    assert nats_server.pid is not None and nats_server.credentials is not None
    password = nats_server.credentials.password.encode()
    # Everyone can read a process's command line; the password is not on it, nor in its environment.
    cmdline = Path(f"/proc/{nats_server.pid}/cmdline").read_bytes()
    assert b"nats-server" in cmdline and password not in cmdline
    assert password not in Path(f"/proc/{nats_server.pid}/environ").read_bytes()
    assert password in nats_server.config_path.read_bytes()
    assert stat.S_IMODE(nats_server.config_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(nats_server.store_dir.stat().st_mode) == 0o700
    assert password.decode() not in repr(nats_server.credentials)


async def test_each_start_makes_new_credentials_and_tightens_an_old_config(tmp_path: Path) -> None:
    config = tmp_path / "nats-server.conf"
    config.write_text("left by an older Overcast\n")
    os.chmod(config, 0o644)
    os.chmod(tmp_path, 0o755)
    passwords = []
    for _ in range(2):
        async with EmbeddedNats(tmp_path) as server:
            assert server.credentials is not None
            passwords.append(server.credentials.password)
            assert stat.S_IMODE(config.stat().st_mode) == 0o600
            assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o700
        assert server.credentials is None
    assert passwords[0] != passwords[1] and len(passwords[0]) >= 43  # 256 random bits


def test_urls_are_shown_without_their_credentials() -> None:
    assert shown("nats://overcast:s3cret@127.0.0.1:4222") == "nats://***@127.0.0.1:4222"
    assert shown("nats://t0ken@nats.example:4222") == "nats://***@nats.example:4222"
    assert shown("tls://a:b@one:4222,nats://two:4222") == "tls://***@one:4222,nats://two:4222"
    assert shown("nats://127.0.0.1:4222") == "nats://127.0.0.1:4222"


async def test_a_refused_connection_does_not_repeat_the_url_s_password(nats_server: EmbeddedNats) -> None:
    assert nats_server.url is not None
    url = nats_server.url.replace("nats://", "nats://overcast:guessed-password@")
    with pytest.raises(ServiceUnavailable) as refused:
        await Bus.connect(url, timeout=1)
    assert "guessed-password" not in str(refused.value) and "***@" in str(refused.value)
