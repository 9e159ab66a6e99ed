"""The in-instance Python runtime: frames, handler loading, the context object, log capture, and
that it runs on every python3.X interpreter this host has."""

from __future__ import annotations

import base64
import json
import os
import socket
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from overcast.config import Settings
from overcast.functions.instances import InstanceSpec, Invocation
from overcast.functions.runtime.python import frames, handlers, loop
from overcast.functions.runtime.python.lambdacontext import LambdaContext
from overcast.functions.runtime.python.logbudget import LogBudget
from overcast.functions.sandbox import LocalSandboxes
from overcast.functions.sandbox.interpreters import SUPPORTED, available_python


def test_frames_round_trip_with_descriptors() -> None:
    left, right = socket.socketpair()
    read_end, write_end = os.pipe()
    try:
        frames.send(left, {"op": "x", "n": 1}, b"\x00body" * 1000, fds=(write_end,))
        header, body, fds = frames.recv(right)
        assert header == {"op": "x", "n": 1} and body == b"\x00body" * 1000 and len(fds) == 1
        os.write(fds[0], b"through the passed fd")
        assert os.read(read_end, 100) == b"through the passed fd"
        os.close(fds[0])
        left.close()
        with pytest.raises(EOFError):
            frames.recv(right)
    finally:
        for fd in (read_end, write_end):
            os.close(fd)
        right.close()


def test_frame_reader_splits_frames_that_arrive_together_or_in_pieces() -> None:
    left, right = socket.socketpair()
    try:
        reader = frames.Reader(right)
        left.sendall(frames.encode({"n": 1}) + frames.encode({"n": 2}, b"two"))  # two frames in one write
        assert reader.next() == ({"n": 1}, b"")
        assert reader.next() == ({"n": 2}, b"two")
        big = os.urandom(3 * 2**20)  # larger than one recv
        data = frames.encode({"n": 3}, big)
        left.sendall(data[:5])  # not even a whole prefix yet
        sender = threading.Thread(target=left.sendall, args=(data[5:],))
        sender.start()
        assert reader.next() == ({"n": 3}, big)
        sender.join()
        left.close()
        with pytest.raises(EOFError):
            reader.next()
    finally:
        right.close()


@pytest.fixture
def code_on_path(tmp_path: Path) -> Iterator[Path]:
    sys.path.insert(0, str(tmp_path))
    before = set(sys.modules)
    try:
        yield tmp_path
    finally:
        sys.path.remove(str(tmp_path))
        for name in set(sys.modules) - before:
            del sys.modules[name]


def test_handler_loading_rules(code_on_path: Path) -> None:
    (code_on_path / "rtapp.py").write_text("def go(e, c):\n    return 'top'\n")
    (code_on_path / "rtpkg" / "inner").mkdir(parents=True)
    (code_on_path / "rtpkg" / "__init__.py").write_text("")
    (code_on_path / "rtpkg" / "inner" / "__init__.py").write_text("")
    (code_on_path / "rtpkg" / "inner" / "mod.py").write_text("def go(e, c):\n    return 'inner'\n")
    (code_on_path / "rtbad.py").write_text("x = (\n")
    assert handlers.load("rtapp.go")(None, None) == "top"
    assert handlers.load("rtpkg/inner/mod.go")(None, None) == "inner"
    assert handlers.load("rtpkg.inner.mod.go")(None, None) == "inner"
    cases = {
        "rtmissing.go": (
            "Runtime.ImportModuleError",
            "Unable to import module 'rtmissing': No module named 'rtmissing'",
        ),
        "rtapp.absent": ("Runtime.HandlerNotFound", "Handler 'absent' missing on module 'rtapp'"),
        "sys.exit": ("Runtime.BuiltInModuleConflict", "Cannot use built-in module sys as a handler module"),
    }
    for handler, (error_type, message) in cases.items():
        with pytest.raises(handlers.Fault) as caught:
            handlers.load(handler)
        assert (caught.value.error_type, caught.value.message) == (error_type, message)
    with pytest.raises(handlers.Fault) as caught:
        handlers.load("rtbad.go")
    assert caught.value.error_type == "Runtime.UserCodeSyntaxError"
    assert caught.value.message.startswith("Syntax error in module 'rtbad': ")
    assert "(rtbad.py, line 1)" in caught.value.message


def test_error_document_and_log_record() -> None:
    try:
        raise ValueError("boom")
    except ValueError as exc:
        document = handlers.exception_document(exc, "req-1")
    assert document["errorType"] == "ValueError" and document["errorMessage"] == "boom"
    assert document["requestId"] == "req-1" and 'raise ValueError("boom")' in "".join(document["stackTrace"])
    record = handlers.log_record(document)
    assert record.startswith("[ERROR] ValueError: boom\nTraceback (most recent call last):\n")


def test_context_object(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "orders")
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
    client = {"client": {"installation_id": "i-1", "app_title": "t"}, "custom": {"k": "v"}, "env": {"platform": "x"}}
    encoded = base64.b64encode(json.dumps(client).encode()).decode()
    context = LambdaContext(
        "req-1",
        int(time.time() * 1000) + 2000,
        "arn:aws:lambda:us-east-1:123456789012:function:orders:prod",
        loop._decode_json_header(encoded, True),
        loop._decode_json_header('{"cognitoIdentityId": "id-1", "cognitoIdentityPoolId": "pool"}', False),
    )
    assert context.function_name == "orders" and context.memory_limit_in_mb == "256"
    assert 1000 < context.get_remaining_time_in_millis() <= 2000
    assert context.client_context is not None and context.client_context.custom == {"k": "v"}
    assert context.client_context.client is not None and context.client_context.client.installation_id == "i-1"
    assert context.identity.cognito_identity_id == "id-1" and context.identity.cognito_identity_pool_id == "pool"
    expired = LambdaContext("r", 0, "arn")
    assert expired.get_remaining_time_in_millis() == 0 and expired.client_context is None


def test_line_sink_keeps_partial_lines_until_flushed() -> None:
    sink = loop.LineSink(LogBudget())
    lines = sink.budget.lines
    sink.write("one\ntw")
    sink.write("o\nthree")
    assert [text for _, text in lines] == ["one", "two"]
    sink.flush()
    assert [text for _, text in lines] == ["one", "two", "three"]


def test_line_sink_holds_one_invocations_ceiling_of_a_flood_and_counts_the_rest() -> None:
    sink = loop.LineSink(LogBudget(event_bytes=100, invocation_bytes=1000))
    sink.write("x" * 250 + "\n")  # one line, three events
    sink.write("y\n" * 100)
    sink.write("z" * 5_000_000)  # larger than a slice of the sink, no newline
    sink.flush()
    lines, dropped_lines, dropped_bytes = sink.budget.take()
    assert [len(text) for _, text in lines[:3]] == [100, 100, 50]
    assert sum(len(text) + 26 for _, text in lines) <= 1000
    assert dropped_lines == 100 - (len(lines) - 3) + 1
    assert dropped_bytes == dropped_lines - 1 + 5_000_000


def test_marshal() -> None:
    import decimal

    assert loop.marshal({"a": decimal.Decimal("1.5"), "b": decimal.Decimal("2")}, True) == b'{"a": 1.5, "b": 2}'
    assert loop.marshal("é", False) == '"é"'.encode() and loop.marshal("é", True) == b'"\\u00e9"'
    assert loop.marshal(b"raw", True) == b"raw"
    with pytest.raises(handlers.Fault, match="Unable to marshal response: Object of type set is not JSON serializable"):
        loop.marshal({1}, True)


@pytest.fixture(scope="module")
async def boxes(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LocalSandboxes]:
    data = tmp_path_factory.mktemp("runtime-data")
    sandboxes = LocalSandboxes(Settings(data_dir=data), data, pool_size=1)
    try:
        yield sandboxes
    finally:
        await sandboxes.close()


@pytest.mark.parametrize("version", SUPPORTED)
async def test_runtime_runs_on_each_interpreter(boxes: LocalSandboxes, tmp_path: Path, version: str) -> None:
    runtime = f"python{version}"
    if available_python(runtime) is None:
        pytest.skip(f"no {runtime} on this host")
    (tmp_path / "app.py").write_text(
        "import sys, logging\ndef handler(event, context):\n"
        "    logging.getLogger().error('logged')\n"
        "    return {'version': '%d.%d' % sys.version_info[:2], 'echo': event}\n"
    )
    tmp_path.chmod(0o755)
    spec = InstanceSpec(
        "123456789012", "us-east-1", f"v{version.replace('.', '')}", "arn:aws:lambda:us-east-1:123456789012:function:v",
        "$LATEST", runtime, "app.handler", 128, 3, tmp_path, "sha", "/aws/lambda/v", "2026/01/01/[$LATEST]x",
    )  # fmt: skip
    instance = await boxes.start(spec)
    try:
        call = Invocation("req-" + version, b'{"k": [1, 2]}', int(time.time() * 1000) + 3000, spec.function_arn)
        result = await instance.invoke(call)
        assert json.loads(result.payload) == {"version": version, "echo": {"k": [1, 2]}}, result.payload
        assert any(
            line.message.startswith("[ERROR]\t") and line.message.endswith(f"\treq-{version}\tlogged")
            for line in result.log
        )
    finally:
        await instance.stop()
