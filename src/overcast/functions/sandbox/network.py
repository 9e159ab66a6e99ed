"""An instance's private network: the listeners in its network namespace, and what Overcast serves on them.

A confined instance has a network namespace of its own whose only interface is its loopback
(runtime/python/confine.py `prepare` makes it while the vessel waits in the pool). Inside it, on
127.0.0.1, the vessel binds the listeners Overcast names here and hands them over; nothing else of
the host (its loopback ports, the bus, the store, other instances, its abstract Unix sockets) is
reachable from inside:
- `runtime`, port 9001: the Runtime API of a provided.* or Node.js instance, `AWS_LAMBDA_RUNTIME_API`
  as on AWS (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html), served by its own
  RuntimeApi; only the instance can reach it;
- `endpoint`, the port of Overcast's endpoint: `AWS_ENDPOINT_URL` inside is http://127.0.0.1:<port>,
  and each connection to it is relayed to Overcast's own endpoint;
- `proxy`, port 3128, when functions may reach the internet (`function_internet`): an HTTP proxy
  (CONNECT, and absolute-form requests) named in HTTP_PROXY / HTTPS_PROXY, which connects only to
  global addresses. A Lambda function outside a VPC reaches the internet and nothing of the
  network it runs in (https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc-internet.html);
  raw TCP or UDP to the internet, which a proxy does not carry, is not routed.
Every relayed connection costs Overcast descriptors, so an instance holds at most
MAX_CONNECTIONS at once; later ones are closed as they are accepted.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from overcast.functions.runtime.python import frames

Ports = dict[str, int]  # listener name -> port on the instance's 127.0.0.1

RUNTIME_API_PORT = 9001
PROXY_PORT = 3128
# Relayed connections one instance may hold open at once (AWS allows an execution environment 1,024
# file descriptors; Overcast spends two on each relayed connection).
MAX_CONNECTIONS = 128
PREPARE_TIMEOUT_S = 10.0
RELAY_CHUNK = 64 * 1024
# A proxy request's head: its size, and how long it may take to arrive.
MAX_PROXY_HEAD_BYTES = 8192
PROXY_HEAD_TIMEOUT_S = 10.0
CONNECT_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class NetworkPlan:
    """What every instance's network namespace listens on, and where its connections go."""

    endpoint: tuple[str, int] | None  # Overcast's own endpoint (host, port), where `endpoint` relays
    internet: bool  # whether the `proxy` listener exists

    def ports(self) -> Ports:
        ports = {"runtime": RUNTIME_API_PORT}
        if self.endpoint is not None and self.endpoint[1] not in (0, RUNTIME_API_PORT, PROXY_PORT):
            ports["endpoint"] = self.endpoint[1]
        if self.internet:
            ports["proxy"] = PROXY_PORT
        return ports

    def environment(self) -> dict[str, str]:
        """The variables an instance sees for its network: its endpoint inside, the proxy if any."""
        env: dict[str, str] = {}
        ports = self.ports()
        if "endpoint" in ports:
            env["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{ports['endpoint']}"
        if "proxy" in ports:
            proxy = f"http://127.0.0.1:{ports['proxy']}"
            loopback = "localhost,127.0.0.1,::1"
            env.update({"HTTP_PROXY": proxy, "HTTPS_PROXY": proxy, "http_proxy": proxy, "https_proxy": proxy})
            env.update({"NO_PROXY": loopback, "no_proxy": loopback})
        return env


async def receive_listeners(channel: socket.socket, names: list[str]) -> dict[str, socket.socket]:
    """The listeners a vessel made in its network namespace, in the order of `names`. A vessel that
    could not make them says why when it is claimed (child.py), so nothing is returned for it here."""
    loop = asyncio.get_running_loop()
    readable: asyncio.Future[None] = loop.create_future()

    def ready() -> None:
        if not readable.done():
            readable.set_result(None)

    loop.add_reader(channel.fileno(), ready)
    try:
        await asyncio.wait_for(readable, PREPARE_TIMEOUT_S)
    finally:
        loop.remove_reader(channel.fileno())
    # Close-on-exec as they arrive: a zygote or vessel the server spawned while holding an inheritable one kept
    # it (uvloop's subprocesses, unlike Python's close_fds, close only what is marked), and every instance it
    # forked then held a listener inside another instance's namespace, free to accept what that instance sent to
    # its Runtime API or endpoint (tests/functions/test_private_network.py caught it, run after test_confinement).
    header, _body, fds = frames.recv(channel, cloexec=True)
    listeners = [socket.socket(fileno=fd) for fd in fds]
    if header.get("op") != "prepared" or header.get("error") or len(listeners) != len(names):
        for listener in listeners:
            listener.close()
        return {}
    return dict(zip(names, listeners, strict=True))


def is_public(address: str) -> bool:
    """Whether an instance may reach this address through the proxy: global unicast only, never the
    host's loopback, private, link-local, shared (CGNAT), multicast or reserved ranges."""
    try:
        parsed = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        parsed = parsed.ipv4_mapped
    return parsed.is_global and not parsed.is_multicast


Connector = Callable[[str, int], Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]]]


class InstanceNetwork:
    """What Overcast serves on one instance's listeners (but the Runtime API's), until it ends."""

    def __init__(self, plan: NetworkPlan, connect: Connector | None = None) -> None:
        self.plan = plan
        self._connect = connect or _open_public
        self._servers: list[asyncio.Server] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    @classmethod
    async def serve(
        cls, plan: NetworkPlan, listeners: dict[str, socket.socket], connect: Connector | None = None
    ) -> InstanceNetwork:
        network = cls(plan, connect)
        endpoint, proxy = listeners.pop("endpoint", None), listeners.pop("proxy", None)
        if endpoint is not None and plan.endpoint is not None:
            network._servers.append(await asyncio.start_server(network._relay_endpoint, sock=endpoint))
        if proxy is not None:
            network._servers.append(await asyncio.start_server(network._proxy, sock=proxy))
        return network

    @property
    def connections(self) -> int:
        return len(self._writers)

    def close(self) -> None:
        for server in self._servers:
            server.close()
        for writer in list(self._writers):
            writer.close()
        for task in list(self._tasks):
            task.cancel()
        self._servers = []

    # --- the endpoint -------------------------------------------------------------------------

    async def _relay_endpoint(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        assert self.plan.endpoint is not None
        if not self._admit(writer):
            return
        try:
            upstream = await asyncio.wait_for(asyncio.open_connection(*self.plan.endpoint), CONNECT_TIMEOUT_S)
        except OSError:
            self._drop(writer)
            return
        await self._splice(reader, writer, *upstream)

    # --- the proxy ------------------------------------------------------------------------------

    async def _proxy(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self._admit(writer):
            return
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), PROXY_HEAD_TIMEOUT_S)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, OSError):
            self._drop(writer)
            return
        target = _proxy_target(head)
        if target is None:
            await self._refuse(writer, 400, "Bad Request")
            return
        host, port, tunnel = target
        try:
            upstream = await asyncio.wait_for(self._connect(host, port), CONNECT_TIMEOUT_S)
        except PermissionError:
            await self._refuse(writer, 403, "Forbidden")
            return
        except (OSError, TimeoutError):
            await self._refuse(writer, 502, "Bad Gateway")
            return
        if tunnel:
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        else:
            upstream[1].write(head)  # servers accept the absolute form (RFC 9112, 3.2.2)
        await self._splice(reader, writer, *upstream)

    async def _refuse(self, writer: asyncio.StreamWriter, status: int, reason: str) -> None:
        body = f"{status} {reason}: Overcast's proxy reaches only the internet\n".encode()
        writer.write(
            b"HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
            % (status, reason.encode(), len(body), body)
        )
        with contextlib.suppress(OSError):
            await writer.drain()
        self._drop(writer)

    # --- connections ----------------------------------------------------------------------------

    def _admit(self, writer: asyncio.StreamWriter) -> bool:
        if len(self._writers) >= MAX_CONNECTIONS:
            writer.close()
            return False
        self._writers.add(writer)
        return True

    def _drop(self, writer: asyncio.StreamWriter) -> None:
        self._writers.discard(writer)
        writer.close()

    async def _splice(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        up_reader: asyncio.StreamReader,
        up_writer: asyncio.StreamWriter,
    ) -> None:
        self._writers.add(up_writer)
        try:
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        finally:
            for each in (writer, up_writer):
                self._drop(each)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy until the end, then pass the end on (a half-close, so a request's answer still flows back)."""
    try:
        while data := await reader.read(RELAY_CHUNK):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except OSError:
        writer.close()


def _proxy_target(head: bytes) -> tuple[str, int, bool] | None:
    """(host, port, tunnel) of a proxy request's first line, or None when it names none."""
    line = head.split(b"\r\n", 1)[0].decode("latin-1")
    parts = line.split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        return None
    method, target, _version = parts
    if method == "CONNECT":
        host, _, port = target.rpartition(":")
        tunnel = True
    elif target.startswith("http://"):
        authority = target[len("http://") :].split("/", 1)[0]
        host, colon, port = authority.rpartition(":")
        if not colon or "]" in port:
            host, port = authority, "80"
        tunnel = False
    else:
        return None
    host = host.strip("[]")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        return None
    return host, int(port), tunnel


async def _open_public(host: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A connection to `host`, refused (PermissionError) unless every address it names is public: a
    name that resolves to the host's own network is not reached by trying its other addresses."""
    loop = asyncio.get_running_loop()
    found = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = [info[4][0] for info in found]
    if not addresses or not all(is_public(str(address)) for address in addresses):
        raise PermissionError(f"{host} is not on the internet")
    return await asyncio.open_connection(str(addresses[0]), port)
