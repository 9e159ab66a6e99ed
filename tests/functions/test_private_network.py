"""Hostile functions against their instance's network, through the real server.

Each instance has a network namespace of its own (functions/sandbox/network.py): only a loopback,
its own Runtime API at 127.0.0.1:9001, Overcast's endpoint at AWS_ENDPOINT_URL and a proxy that
reaches only the internet. The functions here try to steal another instance's invocations (its
Runtime API), to reach the host's other services (every TCP port the host listens on, a service the
test opens, a bus like Overcast's, the host's own addresses, its abstract Unix sockets), and to use
the proxy to get there;
each test asserts the attempt failed and the victim still answers correctly. As a Python, a Node.js
and a shell provided.al2023 function (the latter two only where the host has node and curl)."""

from __future__ import annotations

import base64
import contextlib
import itertools
import os
import shutil
import socket
import urllib.parse
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from overcast.bus.limits import GiB, JetStreamLimits, MiB
from overcast.bus.server import EmbeddedNats
from tests.conftest import ClientFactory, RunningServer
from tests.functions.hostile import create, invoke, shell_bootstrap

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not Path("/proc/self/ns/net").exists(),
    reason="instances have their own network only when Overcast runs as root on a host with network namespaces",
)

PROBE = """
import json, os, socket, urllib.request


def connect(host, port, payload=b"", family=socket.AF_INET):
    try:
        with socket.create_connection((host, port), timeout=2) as s:
            if payload:
                s.sendall(payload)
                s.settimeout(3)
                return "answered: " + s.recv(4096).decode("latin-1")
            return "connected"
    except OSError as exc:
        return type(exc).__name__ + ": " + (exc.strerror or str(exc))


def handler(event, context):
    steal = b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n"
    seen = {
        "interfaces": [name for _, name in socket.if_nameindex()],
        "runtime_api": os.environ["AWS_LAMBDA_RUNTIME_API"],
        "endpoint": os.environ.get("AWS_ENDPOINT_URL"),
        "own_runtime_api": connect("127.0.0.1", 9001),
        "host_ports": {str(p): connect("127.0.0.1", p, steal) for p in event["host_ports"]},
        "host_addresses": {a: connect(a, event["service_port"]) for a in event["host_addresses"]},
    }
    for kind, address in (("abstract", "\\0" + event["abstract"]), ("run_socket", event["run_socket"])):
        try:
            socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).connect(address)
            seen[kind] = "connected"
        except OSError as exc:
            seen[kind] = type(exc).__name__
    connect_to = "CONNECT %s HTTP/1.1\\r\\nHost: %s\\r\\n\\r\\n"
    seen["proxy"] = {t: connect("127.0.0.1", 3128, (connect_to % (t, t)).encode()) for t in event["proxy_targets"]}
    with urllib.request.urlopen(seen["endpoint"] + "/_overcast/health", timeout=5) as answer:
        seen["health"] = answer.status
    return seen
"""

# A shell runtime whose Runtime API the probes try to steal from; it doubles each event's n.
SHELL_VICTIM = shell_bootstrap("""
  N=$(echo "$EVENT" | sed 's/[^0-9]//g')
  ANSWER="{\\"answer\\": $((N * 2)), \\"api\\": \\"$AWS_LAMBDA_RUNTIME_API\\"}"
  curl -sS -X POST "$API/invocation/$REQUEST_ID/response" -d "$ANSWER" > /dev/null""")

# A shell runtime that tries to take an invocation from a host port, and answers what curl said.
SHELL_PROBE = shell_bootstrap("""
  PORT=$(echo "$EVENT" | sed 's/[^0-9]//g')
  OUT=$(curl -sS -m 3 "http://127.0.0.1:$PORT/2018-06-01/runtime/invocation/next" 2>&1 | base64 -w0)
  curl -sS -X POST "$API/invocation/$REQUEST_ID/response" -d "{\\"curl\\": \\"$OUT\\"}" > /dev/null""")

NODE_VICTIM = "exports.handler = async (event) => ({ answer: event.n * 2 });\n"

NODE_PROBE = """
const net = require("net");
function attempt(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port }, () => { s.destroy(); resolve("connected"); });
    s.on("error", (e) => resolve(e.code));
    s.setTimeout(2000, () => { s.destroy(); resolve("timeout"); });
  });
}
exports.handler = async (event) => {
  const seen = {};
  for (const port of event.host_ports) seen[port] = await attempt(port);
  return seen;
};
"""


def _create(lam: Any, runtime: str, files: dict[str, bytes | str]) -> str:
    return create(lam, runtime, files, prefix="net", Timeout=60)


def _servers_host_listeners(server: RunningServer) -> set[int]:
    """The sockets the server's process tree listens on in the host's network namespace (by inode): other
    programs on the machine may open ports meanwhile, so only Overcast's own are compared."""
    listening = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            for line in lines.read().splitlines()[1:]:
                fields = line.split()
                if fields[3] == "0A":
                    listening.add(int(fields[9]))
    root = psutil.Process(server.process.pid)
    held = set()
    for process in [root, *root.children(recursive=True)]:
        with contextlib.suppress(psutil.Error, OSError):
            for entry in Path(f"/proc/{process.pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    target = os.readlink(entry)
                    if target.startswith("socket:["):
                        held.add(int(target[len("socket:[") : -1]))
    return listening & held


def _host_listening_ports() -> set[int]:
    """Every TCP port the host listens on (its network namespace), IPv4 and IPv6."""
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            for line in lines.read().splitlines()[1:]:
                fields = line.split()
                if fields[3] == "0A":  # TCP_LISTEN
                    ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def _host_addresses() -> list[str]:
    """The host's own non-loopback IPv4 addresses."""
    found = []
    with open("/proc/net/fib_trie") as trie:
        lines = trie.read().splitlines()
    for before, line in itertools.pairwise(lines):
        if "/32 host LOCAL" in line:
            address = before.strip().split()[-1]
            if not address.startswith("127.") and address not in found:
                found.append(address)
    return found


@pytest.fixture
def host_service() -> Iterator[tuple[int, str, str]]:
    """A service of the host's, on every address (0.0.0.0), on an abstract Unix socket, and on a Unix
    socket in /run that anyone may connect to (as the D-Bus system bus's or PostgreSQL's are)."""
    tcp = socket.create_server(("0.0.0.0", 0))
    abstract_name = f"overcast-test-{uuid.uuid4().hex}"
    abstract = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    abstract.bind("\0" + abstract_name)
    abstract.listen()
    run_path = f"/run/overcast-test-{uuid.uuid4().hex[:8]}.sock"
    in_run = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    in_run.bind(run_path)
    os.chmod(run_path, 0o777)
    in_run.listen()
    try:
        yield tcp.getsockname()[1], abstract_name, run_path
    finally:
        tcp.close()
        abstract.close()
        in_run.close()
        os.unlink(run_path)


@pytest.fixture
async def bus_port(tmp_path: Path) -> AsyncIterator[int]:
    """A bus like Overcast's own (an embedded nats-server on the host's loopback): its port."""
    nats = EmbeddedNats(tmp_path / "nats", limits=JetStreamLimits(store_bytes=GiB, memory_bytes=MiB, stream_bytes=MiB))
    url = await nats.start()
    try:
        port = urllib.parse.urlsplit(url).port
        assert port is not None
        yield port
    finally:
        await nats.stop()


@pytest.mark.skipif(shutil.which("curl") is None, reason="the shell victim's bootstrap needs curl")
async def test_a_python_function_reaches_only_its_own_network_and_overcast(
    aws: ClientFactory, server: RunningServer, host_service: tuple[int, str, str], bus_port: int
) -> None:
    lam = aws("lambda")
    before = _servers_host_listeners(server)
    victim = _create(lam, "provided.al2023", {"bootstrap": SHELL_VICTIM})
    assert invoke(lam, victim, {"n": 1}) == {"answer": 2, "api": "127.0.0.1:9001"}  # its own, as on AWS
    assert _servers_host_listeners(server) <= before  # its Runtime API listens in its own namespace, not the host's
    service_port, abstract, run_socket = host_service
    endpoint_port = urllib.parse.urlsplit(server.url).port
    host_ports = sorted(_host_listening_ports())
    assert {service_port, endpoint_port, bus_port} <= set(host_ports)
    event = {
        "host_ports": host_ports,
        "service_port": service_port,
        "host_addresses": _host_addresses(),
        "abstract": abstract,
        "run_socket": run_socket,
        "proxy_targets": [
            f"127.0.0.1:{endpoint_port}",
            f"localhost:{service_port}",
            "10.0.0.1:80",
            "169.254.169.254:80",
        ],
    }
    seen = invoke(lam, _create(lam, "python3.12", {"index.py": PROBE}), event)

    assert seen["interfaces"] == ["lo"]
    assert seen["runtime_api"] == "127.0.0.1:9001"
    assert seen["own_runtime_api"].startswith("ConnectionRefusedError")  # Python's runtime uses its channel
    # Every port the host listens on is refused, the victim's Runtime API included (it is not on the
    # host), but the one inside that relays to Overcast's endpoint, which answers no Runtime API.
    for port, outcome in seen["host_ports"].items():
        if int(port) == endpoint_port:
            assert outcome.startswith("answered: HTTP/1.1 4"), outcome
            assert "lambda-runtime-aws-request-id" not in outcome.lower()
        else:
            assert outcome.startswith("ConnectionRefusedError"), (port, outcome)
    for address, outcome in seen["host_addresses"].items():
        assert outcome.startswith("OSError: Network is unreachable"), (address, outcome)
    assert seen["abstract"] == "ConnectionRefusedError"  # the host's abstract sockets are not in its namespace
    assert seen["run_socket"] == "FileNotFoundError"  # /run, where the host's services keep theirs, is masked
    for target, outcome in seen["proxy"].items():
        assert outcome.startswith("answered: HTTP/1.1 403 Forbidden"), (target, outcome)
    assert seen["endpoint"] == f"http://127.0.0.1:{endpoint_port}" and seen["health"] == 200
    assert invoke(lam, victim, {"n": 21}) == {"answer": 42, "api": "127.0.0.1:9001"}


def test_a_nodejs_function_cannot_reach_the_hosts_ports(aws: ClientFactory, server: RunningServer) -> None:
    lam = aws("lambda")
    victim = _create(lam, "nodejs20.x", {"index.js": NODE_VICTIM})  # a Node.js instance, with its Runtime API
    assert invoke(lam, victim, {"n": 3}) == {"answer": 6}
    endpoint_port = urllib.parse.urlsplit(server.url).port
    host_ports = sorted(_host_listening_ports() - {endpoint_port})
    seen = invoke(lam, _create(lam, "nodejs20.x", {"index.js": NODE_PROBE}), {"host_ports": host_ports})
    assert seen and set(seen.values()) == {"ECONNREFUSED"}, seen
    assert invoke(lam, victim, {"n": 4}) == {"answer": 8}


@pytest.mark.skipif(shutil.which("curl") is None, reason="the shell runtime's bootstrap needs curl")
def test_a_shell_function_cannot_take_another_instances_invocations(aws: ClientFactory, server: RunningServer) -> None:
    lam = aws("lambda")
    victim = _create(lam, "provided.al2023", {"bootstrap": SHELL_VICTIM})
    assert invoke(lam, victim, {"n": 2})["answer"] == 4
    probe = _create(lam, "provided.al2023", {"bootstrap": SHELL_PROBE})
    endpoint_port = urllib.parse.urlsplit(server.url).port
    for port in sorted(_host_listening_ports() - {endpoint_port}):
        out = base64.b64decode(invoke(lam, probe, {"port": port})["curl"]).decode()
        assert "Connection refused" in out or "Couldn't connect" in out, (port, out)
    assert invoke(lam, victim, {"n": 50})["answer"] == 100
