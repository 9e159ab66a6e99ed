"""The edge's bounds through a real server: request heads refused as AWS refuses them and never buffered
whole, slow and idle connections closed, one client's connections capped so the others are served."""

from __future__ import annotations

import json
import resource
import socket
import tempfile
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import RunningServer, start_server

HEALTH = b"GET /_overcast/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
# The request line of HEALTH as API Gateway counts it, and its header values ("x", "close").
HEALTH_LINE = len(b"GET /_overcast/health HTTP/1.1")
HEALTH_VALUES = len(b"x") + len(b"close")


def _address(server: RunningServer) -> tuple[str, int]:
    host, port = server.url.split("//", 1)[1].rsplit(":", 1)
    return host, int(port)


def _exchange(server: RunningServer, request: bytes) -> bytes:
    """Send `request` (from a thread, so a server that answers early is read while it is sent) and read
    the whole answer, up to the server closing the connection."""
    with socket.create_connection(_address(server), timeout=60) as conn:
        sender = threading.Thread(target=conn.sendall, args=(request,))
        sender.start()
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
        sender.join()
    return answer


def _status_and_body(answer: bytes) -> tuple[int, dict[str, str], Any]:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value for name, _, value in (line.partition(": ") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, json.loads(body)


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def _open_files(pid: int) -> int:
    return len(list(Path(f"/proc/{pid}/fd").iterdir()))


def _health(server: RunningServer) -> dict[str, Any]:
    with urllib.request.urlopen(server.url + "/_overcast/health", timeout=30) as response:
        return dict(json.loads(response.read()))


def _assert_refused(answer: bytes) -> dict[str, Any]:
    status, headers, body = _status_and_body(answer)
    assert status == 400, answer[:300]
    assert headers["x-amzn-errortype"] == "RequestHeaderSectionTooLarge"
    assert len(headers["x-amzn-requestid"]) == 36
    assert body["__type"] == "RequestHeaderSectionTooLarge"
    assert body["message"].startswith("Your request header section exceeds the maximum allowed size.")
    return dict(body)


def test_a_50_mb_header_is_refused_as_aws_refuses_it_and_never_held(server: RunningServer) -> None:
    pid = server.process.pid
    _health(server)
    before = _rss_mb(pid)
    answer = _exchange(server, HEALTH + b"X-Big: " + b"a" * 50_000_000 + b"\r\n\r\n")
    assert _assert_refused(answer)["MaxSizeAllowed"] == 10240
    assert _rss_mb(pid) - before < 20  # a resource bound: the header was dropped as it came, not kept
    assert _health(server)["edition"] == "overcast"


def test_a_head_of_exactly_the_limit_passes_and_one_byte_more_is_refused(server: RunningServer) -> None:
    # API Gateway's quota counts the request line and the header values: 10240 bytes.
    room = 10240 - HEALTH_LINE - HEALTH_VALUES
    at_limit = _exchange(server, HEALTH + b"X-Pad: " + b"p" * room + b"\r\n\r\n")
    assert _status_and_body(at_limit)[0] == 200
    over = _exchange(server, HEALTH + b"X-Pad: " + b"p" * (room + 1) + b"\r\n\r\n")
    _assert_refused(over)


def test_more_than_200_header_fields_are_refused(server: RunningServer) -> None:
    fields = b"".join(b"X-%d: 1\r\n" % i for i in range(198))  # with Host and Connection: 200
    assert _status_and_body(_exchange(server, HEALTH + fields + b"\r\n"))[0] == 200
    refused = _exchange(server, HEALTH + fields + b"X-One-More: 1\r\n\r\n")
    assert "more than 200 header fields" in _assert_refused(refused)["message"]


@pytest.fixture
def raised_open_files() -> Iterator[None]:
    """This test process's own descriptor limit at its hard limit: it holds 2,000 sockets."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@pytest.fixture
def strict_server(monkeypatch: pytest.MonkeyPatch, raised_open_files: None) -> Iterator[RunningServer]:
    """A server with a small cap per client and short timeouts, started with a soft descriptor limit
    of 1024 (as many hosts give), which it must raise itself."""
    monkeypatch.setenv("OVERCAST_MAX_CONNECTIONS_PER_CLIENT", "100")
    monkeypatch.setenv("OVERCAST_REQUEST_HEAD_TIMEOUT_MS", "2000")
    monkeypatch.setenv("OVERCAST_IDLE_CONNECTION_TIMEOUT_MS", "1000")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    with tempfile.TemporaryDirectory(prefix="overcast-test-") as tmp:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(1024, hard), hard))  # the server inherits it
        try:
            running = start_server(Path(tmp) / "data")
        finally:
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        try:
            yield running
        finally:
            running.stop()


def test_the_server_raises_its_open_file_limit_to_the_hard_limit(strict_server: RunningServer) -> None:
    limits = Path(f"/proc/{strict_server.process.pid}/limits").read_text()
    soft, hard = next(line.split()[3:5] for line in limits.splitlines() if line.startswith("Max open files"))
    assert soft == hard
    assert _health(strict_server)["overcast"]["open_files_limit"] == int(hard)


def test_2000_slow_connections_of_one_client_leave_the_others_served(strict_server: RunningServer) -> None:
    pid = strict_server.process.pid
    host, port = _address(strict_server)
    baseline = _open_files(pid)
    slow: list[socket.socket] = []
    try:
        for _ in range(2000):  # from another address of the loopback: another client
            conn = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            conn.bind(("127.0.0.2", 0))
            conn.connect((host, port))
            conn.sendall(b"GET /_overcast/health HTTP/1.1\r\nHost: x\r\nX-Slow: ")  # and never the rest
            slow.append(conn)
        for _ in range(50):  # the other client, meanwhile: every request answered
            assert _health(strict_server)["edition"] == "overcast"
        # Resource bounds, not timings: the server holds at most its cap of the slow client's connections.
        assert _open_files(pid) <= baseline + 100 + 20
        connections = _health(strict_server)["overcast"]["connections"]
        assert connections["refused_over_client_cap"] >= 1900
        # The ones it holds are closed once their head is late (2 s here): the server ends them.
        slow[0].settimeout(60)
        assert slow[0].recv(100) == b""
    finally:
        for conn in slow:
            conn.close()
    assert _health(strict_server)["overcast"]["connections"]["timed_out"] >= 1


def test_an_idle_keep_alive_connection_is_closed(strict_server: RunningServer) -> None:
    with socket.create_connection(_address(strict_server), timeout=60) as conn:
        conn.sendall(b"GET /_overcast/health HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += conn.recv(65536)
        length = int(_status_and_body(answer.partition(b"\r\n\r\n")[0] + b"\r\n\r\nnull")[1]["content-length"])
        while len(answer.partition(b"\r\n\r\n")[2]) < length:
            answer += conn.recv(65536)
        assert answer.startswith(b"HTTP/1.1 200")
        assert conn.recv(100) == b""  # kept alive, then closed after 1 s without a request


def test_a_large_body_sent_with_its_head_and_pipelined_requests_pass(server: RunningServer) -> None:
    # The head's bytes are counted per read; a read holding a small head and a large body, or a
    # request and the next one, is not a large head.
    body = json.dumps({"pad": "b" * 200_000}).encode()
    post = (
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.0\r\n"
        b"X-Amz-Target: AWSStepFunctions.ListStateMachines\r\nContent-Length: %d\r\n\r\n" % len(body)
    )
    get = b"GET /_overcast/health HTTP/1.1\r\nHost: x\r\n\r\n"
    answer = _exchange(server, post + body + get + HEALTH + b"\r\n")
    assert answer.count(b"HTTP/1.1 200 OK") == 3, answer[:500]


def test_refused_websocket_handshakes_do_not_use_up_the_clients_connections(strict_server: RunningServer) -> None:
    handshake = (
        b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    host, port = _address(strict_server)
    for _ in range(150):  # more than the cap of 100, one after the other
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as conn:
            conn.bind(("127.0.0.3", 0))
            conn.connect((host, port))
            conn.sendall(handshake)
            assert conn.recv(100).startswith(b"HTTP/1.1 403")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as conn:
        conn.bind(("127.0.0.3", 0))
        conn.connect((host, port))
        conn.sendall(HEALTH + b"\r\n")
        assert conn.recv(100).startswith(b"HTTP/1.1 200")


def test_a_body_that_stops_coming_is_timed_out(strict_server: RunningServer) -> None:
    with socket.create_connection(_address(strict_server), timeout=60) as conn:
        conn.sendall(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.0\r\n"
            b'X-Amz-Target: AWSStepFunctions.ListStateMachines\r\nContent-Length: 100\r\n\r\n{"a"'
        )
        answer = b""
        while chunk := conn.recv(65536):  # the server closes it, 2 s after the last byte
            answer += chunk
    assert not answer.startswith(b"HTTP/1.1 200")
    assert _health(strict_server)["overcast"]["connections"]["timed_out"] >= 1
