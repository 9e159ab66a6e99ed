"""An instance's network plan and what Overcast serves on its listeners: the endpoint relay and the proxy.

The listeners are made here on the test's own loopback (in an instance they are in its namespace:
tests/functions/test_private_network.py); the proxy's connector is replaced where a test needs a
"public" destination, since CI has no internet."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from overcast.config import Settings
from overcast.functions.instances import InstanceSpec
from overcast.functions.runtime.python import frames
from overcast.functions.sandbox import LocalSandboxes, network
from overcast.functions.sandbox.network import InstanceNetwork, NetworkPlan, is_public
from tests.functions.sandbox.conftest import invocation


def test_the_plan_names_its_listeners_and_the_variables_inside() -> None:
    plan = NetworkPlan(("127.0.0.1", 4566), internet=True)
    assert plan.ports() == {"runtime": 9001, "endpoint": 4566, "proxy": 3128}
    env = plan.environment()
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4566"
    assert env["HTTPS_PROXY"] == env["http_proxy"] == "http://127.0.0.1:3128"
    assert "127.0.0.1" in env["NO_PROXY"].split(",")  # the endpoint is reached directly
    closed = NetworkPlan(("10.1.2.3", 8080), internet=False)
    assert closed.ports() == {"runtime": 9001, "endpoint": 8080}
    assert closed.environment() == {"AWS_ENDPOINT_URL": "http://127.0.0.1:8080"}  # where it is inside
    assert NetworkPlan(None, internet=False).ports() == {"runtime": 9001}


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "127.8.9.1", "::1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1",
     "0.0.0.0", "::", "fe80::1", "fd00::1", "224.0.0.1", "255.255.255.255", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
     "192.0.2.2", "not an address"],
)  # fmt: skip
def test_the_proxy_never_reaches_the_hosts_network(address: str) -> None:
    assert not is_public(address)


@pytest.mark.parametrize("address", ["1.1.1.1", "93.184.215.14", "2606:4700::1111", "::ffff:8.8.8.8"])
def test_the_proxy_reaches_global_addresses(address: str) -> None:
    assert is_public(address)


def _listener() -> socket.socket:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    return listener


async def _echo_server() -> tuple[asyncio.Server, int]:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            writer.write(b"echo:" + data)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


@pytest.fixture
async def upstream() -> AsyncIterator[int]:
    server, port = await _echo_server()
    async with server:
        yield port


async def test_the_endpoint_listener_relays_to_overcasts_endpoint(upstream: int) -> None:
    endpoint, proxy = _listener(), _listener()
    plan = NetworkPlan(("127.0.0.1", upstream), internet=True)
    served = await InstanceNetwork.serve(plan, {"endpoint": endpoint, "proxy": proxy, "runtime": _listener()})
    try:
        reader, writer = await asyncio.open_connection(*endpoint.getsockname())
        writer.write(b"GET / HTTP/1.1\r\n\r\n")
        assert await reader.readexactly(23) == b"echo:GET / HTTP/1.1\r\n\r\n"
        writer.close()
    finally:
        served.close()


async def test_connect_to_a_public_name_is_tunnelled_and_to_the_host_refused(upstream: int) -> None:
    asked: list[tuple[str, int]] = []

    async def connect(host: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        asked.append((host, port))
        if host != "example.com":
            raise PermissionError(host)
        return await asyncio.open_connection("127.0.0.1", upstream)  # stands in for the internet

    proxy = _listener()
    served = await InstanceNetwork.serve(NetworkPlan(None, internet=True), {"proxy": proxy}, connect)
    try:
        reader, writer = await asyncio.open_connection(*proxy.getsockname())
        writer.write(b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
        assert await reader.readuntil(b"\r\n\r\n") == b"HTTP/1.1 200 Connection established\r\n\r\n"
        writer.write(b"hello")
        assert await reader.readexactly(10) == b"echo:hello"
        writer.close()

        reader, writer = await asyncio.open_connection(*proxy.getsockname())
        writer.write(b"GET http://example.com/x HTTP/1.1\r\nHost: example.com\r\n\r\n")  # plain HTTP, absolute form
        assert (await reader.readuntil(b"\r\n")).startswith(b"echo:GET http://example.com/x HTTP/1.1")
        writer.close()

        for request in (b"CONNECT 127.0.0.1:22 HTTP/1.1\r\n\r\n", b"GET http://[::1]:8080/ HTTP/1.1\r\n\r\n"):
            reader, writer = await asyncio.open_connection(*proxy.getsockname())
            writer.write(request)
            assert (await reader.read()).startswith(b"HTTP/1.1 403 Forbidden")
        reader, writer = await asyncio.open_connection(*proxy.getsockname())
        writer.write(b"GET /relative HTTP/1.1\r\n\r\n")  # names no destination
        assert (await reader.read()).startswith(b"HTTP/1.1 400 Bad Request")
        assert asked == [("example.com", 443), ("example.com", 80), ("127.0.0.1", 22), ("::1", 8080)]
    finally:
        served.close()


async def test_the_real_connector_refuses_names_of_the_hosts_network() -> None:
    with pytest.raises(PermissionError):
        await network._open_public("localhost", 80)
    with pytest.raises(PermissionError):
        await network._open_public("10.0.0.1", 80)


async def test_an_instance_holds_a_bounded_number_of_relayed_connections(
    upstream: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(network, "MAX_CONNECTIONS", 4)
    endpoint = _listener()
    served = await InstanceNetwork.serve(NetworkPlan(("127.0.0.1", upstream), internet=False), {"endpoint": endpoint})
    try:
        held = [await asyncio.open_connection(*endpoint.getsockname()) for _ in range(2)]
        for reader, writer in held:  # each relayed: two of Overcast's connections (to the instance and upstream)
            writer.write(b"x")
            assert await reader.readexactly(6) == b"echo:x"
        reader, writer = await asyncio.open_connection(*endpoint.getsockname())
        assert await reader.read() == b""  # the third is closed as it is accepted
        held[0][1].close()
        while served.connections > 2:  # the relay sees the end and lets both its sides go
            await asyncio.sleep(0.001)
        reader, writer = await asyncio.open_connection(*endpoint.getsockname())
        writer.write(b"y")
        assert await reader.readexactly(6) == b"echo:y"  # room again once one ended
    finally:
        served.close()


NETWORK_PROBE = """
import os, socket

def handler(event, context):
    def attempt(port):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
            return "connected"
        except OSError as exc:
            return type(exc).__name__
    names = ("AWS_ENDPOINT_URL", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY")
    return {
        "env": {name: os.environ.get(name) for name in names},
        "proxy": attempt(3128),
        "endpoint": attempt(4566),
        "interfaces": [name for _, name in socket.if_nameindex()],
    }
"""


@pytest.mark.skipif(os.geteuid() != 0 or not os.path.exists("/proc/self/ns/net"), reason="network namespaces need root")
@pytest.mark.parametrize("internet", [True, False])
async def test_function_internet_decides_whether_an_instance_has_a_proxy(
    tmp_path: Path, make_spec: Callable[..., InstanceSpec], internet: bool
) -> None:
    settings = Settings(data_dir=tmp_path, port=4566, function_internet=internet)
    boxes = LocalSandboxes(settings, tmp_path, pool_size=1)
    try:
        assert boxes.isolation.layers()[4].describe().startswith("network: own namespace")
        spec = make_spec({"app.py": NETWORK_PROBE})
        instance = await boxes.start(spec)
        result = await instance.invoke(invocation(spec))
        seen = json.loads(result.payload)
        await instance.stop()
    finally:
        await boxes.close()
    assert seen["interfaces"] == ["lo"]
    assert seen["env"]["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4566"
    assert seen["endpoint"] == "connected"  # relayed to where Overcast would listen on the host
    if internet:
        assert seen["env"]["HTTPS_PROXY"] == "http://127.0.0.1:3128" and seen["proxy"] == "connected"
    else:
        assert seen["env"]["HTTPS_PROXY"] is None and seen["proxy"] == "ConnectionRefusedError"


async def test_listeners_received_from_a_vessel_are_not_inherited_by_what_the_server_spawns() -> None:
    """uvloop's subprocesses close only descriptors marked close-on-exec (it has no close_fds), and received ones
    are not marked unless asked: a zygote spawned while the server held one kept it, and so did every instance it
    forked, holding a listener inside another instance's network namespace."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    made = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    made.bind(("127.0.0.1", 0))
    made.listen()
    frames.send(theirs, {"op": "prepared", "error": None}, fds=[made.fileno()])
    made.close()
    listeners = await network.receive_listeners(ours, ["runtime"])
    listener = listeners["runtime"]
    assert not os.get_inheritable(listener.fileno())
    port = listener.getsockname()[1]
    child = await asyncio.create_subprocess_exec(  # as the server spawns on uvloop: nothing closed but what is marked
        sys.executable, "-c", "import os; print(sorted(int(f) for f in os.listdir('/proc/self/fd')))",
        stdout=asyncio.subprocess.PIPE, close_fds=False,
    )  # fmt: skip
    out, _ = await child.communicate()
    assert listener.fileno() not in json.loads(out)
    listener.close()
    with pytest.raises(ConnectionRefusedError):  # no copy of it is left anywhere
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    ours.close()
    theirs.close()
