"""The Runtime API server, driven by AWS's own runtime client (awslambdaric) and by raw HTTP."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from overcast.clock import FakeClock
from overcast.functions.instances import Invocation
from overcast.functions.runtime.api import MAX_RESPONSE_BYTES, RuntimeApi, RuntimeExited

ARN = "arn:aws:lambda:us-east-1:111111111111:function:fn"
TRACE = "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1"

APP = """
import json, os

def handler(event, context):
    if event.get("fail"):
        raise ValueError("boom")
    return {
        "event": event,
        "request_id": context.aws_request_id,
        "arn": context.invoked_function_arn,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "trace": os.environ.get("_X_AMZN_TRACE_ID"),
        "client_custom": context.client_context.custom if context.client_context else None,
        "identity_id": context.identity.cognito_identity_id if context.identity else None,
    }

def big(event, context):
    return "x" * event["size"]
"""


def invocation(request_id: str, payload: object, **extra: object) -> Invocation:
    deadline = int((time.time() + 30) * 1000)
    fields = {"deadline_ms": deadline, "invoked_function_arn": ARN, "trace_id": TRACE}
    fields.update(extra)
    return Invocation(request_id=request_id, payload=json.dumps(payload).encode(), **fields)  # type: ignore[arg-type]


async def run_ric(api: RuntimeApi, code: Path, handler: str) -> asyncio.subprocess.Process:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_LAMBDA_RUNTIME_API": api.address,
        "AWS_LAMBDA_FUNCTION_NAME": "fn",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/fn",
        "AWS_LAMBDA_LOG_STREAM_NAME": "2026/11/26/[$LATEST]0123",
    }
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "awslambdaric", handler, cwd=code, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip


@pytest.fixture
def code(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text(APP)
    return tmp_path


@pytest.fixture
async def api() -> AsyncIterator[RuntimeApi]:
    api = await RuntimeApi.start()
    yield api
    await api.close()


@pytest.fixture
async def ric(api: RuntimeApi, code: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    process = await run_ric(api, code, "app.handler")
    yield process
    if process.returncode is None:
        process.kill()
    await process.wait()


async def test_awslambdaric_gets_the_event_and_its_context(api: RuntimeApi, ric: asyncio.subprocess.Process) -> None:
    outcome = await api.wait_initialized(30)
    assert outcome.status == "ready"
    context = base64.b64encode(json.dumps({"custom": {"k": "v"}, "env": {}, "client": {}}).encode()).decode()
    identity = json.dumps({"cognitoIdentityId": "us-east-1:abc", "cognitoIdentityPoolId": "pool"})
    reply = await api.invoke(invocation("req-1", {"a": 1}, client_context=context, cognito_identity=identity))
    assert reply.error_type is None
    body = json.loads(reply.payload)
    assert body["event"] == {"a": 1}
    assert body["request_id"] == "req-1"
    assert body["arn"] == ARN
    assert 0 < body["remaining_ms"] <= 30_000
    assert body["trace"] == TRACE
    assert body["client_custom"] == {"k": "v"}
    assert body["identity_id"] == "us-east-1:abc"
    assert reply.duration_ms >= 0
    # The same runtime keeps serving invocations over its keep-alive connection.
    for n in range(3):
        reply = await api.invoke(invocation(f"req-{n + 2}", {"n": n}))
        assert json.loads(reply.payload)["event"] == {"n": n}


async def test_handler_error_is_posted_with_its_type(api: RuntimeApi, ric: asyncio.subprocess.Process) -> None:
    await api.wait_initialized(30)
    reply = await api.invoke(invocation("req-err", {"fail": True}))
    assert reply.error_type == "ValueError"
    error = json.loads(reply.payload)
    assert error["errorType"] == "ValueError"
    assert error["errorMessage"] == "boom"
    assert error["requestId"] == "req-err"
    assert isinstance(error["stackTrace"], list)
    # An error does not end the runtime.
    reply = await api.invoke(invocation("req-ok", {}))
    assert reply.error_type is None


async def test_import_error_is_an_init_error(api: RuntimeApi, code: Path) -> None:
    process = await run_ric(api, code, "missing.handler")
    try:
        outcome = await api.wait_initialized(30)
        assert outcome.status == "error"
        assert outcome.error_type == "Runtime.ImportModuleError"
        error = json.loads(outcome.payload)
        assert error["errorType"] == "Runtime.ImportModuleError"
        assert error["errorMessage"].startswith("Unable to import module 'missing'")
        assert await process.wait() != 0  # awslambdaric exits after reporting
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_oversize_response_is_refused_with_413(api: RuntimeApi, code: Path) -> None:
    process = await run_ric(api, code, "app.big")
    try:
        await api.wait_initialized(30)
        reply = await api.invoke(invocation("req-big", {"size": MAX_RESPONSE_BYTES + 10}))
        assert reply.error_type == "Function.ResponseSizeTooLarge"
        assert json.loads(reply.payload) == {
            "errorMessage": "Response payload size exceeded maximum allowed payload size (6291556 bytes).",
            "errorType": "Function.ResponseSizeTooLarge",
        }
    finally:
        process.kill()
        await process.wait()


async def test_runtime_exit_fails_the_waiting_invocation(api: RuntimeApi, ric: asyncio.subprocess.Process) -> None:
    await api.wait_initialized(30)
    ric.kill()
    await ric.wait()
    api.runtime_exited()
    with pytest.raises(RuntimeExited):
        await api.invoke(invocation("req-gone", {}))


# --- raw HTTP: status codes and error bodies ---


class Raw:
    """A minimal keep-alive HTTP/1.1 client, to see exactly what the server answers."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, address: str) -> Raw:
        host, port = address.rsplit(":", 1)
        return cls(*await asyncio.open_connection(host, int(port)))

    async def send(self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        lines = [f"{method} {path} HTTP/1.1", "Host: x", f"Content-Length: {len(body)}"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        await self.writer.drain()

    async def receive(self) -> tuple[int, dict[str, str], bytes]:
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        headers: dict[str, str] = {}
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, value = line.decode().split(":", 1)
            headers[name.strip().lower()] = value.strip()
        body = await self.reader.readexactly(int(headers.get("content-length", "0")))
        return status, headers, body

    async def request(self, method: str, path: str, body: bytes = b"", **headers: str) -> tuple[int, bytes]:
        await self.send(method, path, body, {k.replace("_", "-"): v for k, v in headers.items()})
        status, _, payload = await self.receive()
        return status, payload

    def close(self) -> None:
        self.writer.close()


BASE = "/2018-06-01/runtime"


async def test_next_carries_every_invocation_header(api: RuntimeApi) -> None:
    client = await Raw.connect(api.address)
    context = base64.b64encode(b'{"custom":{"a":"b"}}').decode()
    first = invocation("id-1", {"x": 1}, client_context=context, cognito_identity="{}")
    task = asyncio.ensure_future(api.invoke(first))
    await client.send("GET", f"{BASE}/invocation/next")
    status, headers, body = await client.receive()
    assert status == 200
    assert json.loads(body) == {"x": 1}
    assert headers["lambda-runtime-aws-request-id"] == "id-1"
    assert int(headers["lambda-runtime-deadline-ms"]) > 0
    assert headers["lambda-runtime-invoked-function-arn"] == ARN
    assert headers["lambda-runtime-trace-id"] == TRACE
    assert headers["lambda-runtime-client-context"] == '{"custom":{"a":"b"}}'
    assert headers["lambda-runtime-cognito-identity"] == "{}"
    assert headers["content-type"] == "application/json"
    assert (await api.wait_initialized(1)).status == "ready"
    status, body = await client.request("POST", f"{BASE}/invocation/id-1/response", b'"done"')
    assert (status, json.loads(body)) == (202, {"status": "OK"})
    assert (await task).payload == b'"done"'
    client.close()


async def test_a_trace_id_is_made_when_the_caller_sent_none(api: RuntimeApi) -> None:
    client = await Raw.connect(api.address)
    task = asyncio.ensure_future(api.invoke(invocation("id-t", {}, trace_id=None)))
    await client.send("GET", f"{BASE}/invocation/next")
    _, headers, _ = await client.receive()
    assert headers["lambda-runtime-trace-id"].startswith("Root=1-")
    assert "Sampled=0" in headers["lambda-runtime-trace-id"]
    await client.request("POST", f"{BASE}/invocation/id-t/response", b"null")
    await task
    client.close()


async def test_error_post_passes_type_and_body(api: RuntimeApi) -> None:
    client = await Raw.connect(api.address)
    task = asyncio.ensure_future(api.invoke(invocation("id-2", {})))
    await client.send("GET", f"{BASE}/invocation/next")
    await client.receive()
    doc = b'{"errorMessage":"Error parsing event data.","errorType":"InvalidEventDataException"}'
    status, _ = await client.request(
        "POST", f"{BASE}/invocation/id-2/error", doc, Lambda_Runtime_Function_Error_Type="InvalidEventDataException"
    )
    assert status == 202
    reply = await task
    assert reply.error_type == "InvalidEventDataException"
    assert reply.payload == doc
    client.close()


async def test_wrong_request_id_is_400_and_out_of_turn_posts_are_403(api: RuntimeApi) -> None:
    client = await Raw.connect(api.address)
    # Before any invocation: nothing to answer.
    status, body = await client.request("POST", f"{BASE}/invocation/nope/response", b"{}")
    assert status == 403
    assert json.loads(body) == {
        "errorMessage": "State transition from Started to InvocationResponse failed for runtime. "
        "Error: State transition is not allowed",
        "errorType": "InvalidStateTransition",
    }
    task = asyncio.ensure_future(api.invoke(invocation("id-3", {})))
    await client.send("GET", f"{BASE}/invocation/next")
    await client.receive()
    status, body = await client.request("POST", f"{BASE}/invocation/other/response", b"{}")
    assert (status, json.loads(body)) == (400, {"errorMessage": "Invalid request ID", "errorType": "InvalidRequestID"})
    assert (await client.request("POST", f"{BASE}/invocation/id-3/response", b"1"))[0] == 202
    await task
    # Answering twice, or failing an init that is over, is out of turn.
    status, body = await client.request("POST", f"{BASE}/invocation/id-3/error", b"{}")
    assert status == 403
    assert json.loads(body)["errorMessage"].startswith(
        "State transition from RuntimeResponseSentState to InvocationErrorResponse failed"
    )
    status, body = await client.request("POST", f"{BASE}/init/error", b"{}")
    assert status == 403
    assert json.loads(body)["errorType"] == "InvalidStateTransition"
    client.close()


async def test_oversize_post_is_413_with_aws_body(api: RuntimeApi) -> None:
    client = await Raw.connect(api.address)
    task = asyncio.ensure_future(api.invoke(invocation("id-4", {})))
    await client.send("GET", f"{BASE}/invocation/next")
    await client.receive()
    status, body = await client.request("POST", f"{BASE}/invocation/id-4/response", b"x" * (MAX_RESPONSE_BYTES + 1))
    assert status == 413
    assert json.loads(body) == {
        "errorMessage": "Exceeded maximum allowed payload size (6291556 bytes).",
        "errorType": "RequestEntityTooLarge",
    }
    assert (await task).error_type == "Function.ResponseSizeTooLarge"
    client.close()


async def test_init_error_then_next_is_refused(api: RuntimeApi) -> None:
    client = await Raw.connect(api.address)
    doc = b'{"errorMessage":"Failed to load function.","errorType":"InvalidFunctionException"}'
    status, _ = await client.request(
        "POST", f"{BASE}/init/error", doc, Lambda_Runtime_Function_Error_Type="InvalidFunctionException"
    )
    assert status == 202
    outcome = await api.wait_initialized(1)
    assert (outcome.status, outcome.error_type, outcome.payload) == ("error", "InvalidFunctionException", doc)
    status, body = await client.request("GET", f"{BASE}/invocation/next")
    assert status == 403
    assert json.loads(body)["errorMessage"].startswith("State transition from InitError to Ready failed")
    client.close()


async def test_unknown_paths_and_methods(api: RuntimeApi) -> None:
    client = await Raw.connect(api.address)
    assert (await client.request("GET", "/2018-06-01/runtime/unknown"))[0] == 404
    assert (await client.request("GET", "/2020-01-01/extension/register"))[0] == 404
    assert (await client.request("POST", f"{BASE}/invocation/next"))[0] == 405
    assert (await client.request("GET", f"{BASE}/invocation/id/response"))[0] == 405
    client.close()


async def test_an_invocation_queued_before_next_is_delivered_on_next(api: RuntimeApi) -> None:
    task = asyncio.ensure_future(api.invoke(invocation("id-5", {"early": True})))
    await asyncio.sleep(0)
    client = await Raw.connect(api.address)
    await client.send("GET", f"{BASE}/invocation/next")
    status, headers, body = await client.receive()
    assert (status, headers["lambda-runtime-aws-request-id"], json.loads(body)) == (200, "id-5", {"early": True})
    await client.request("POST", f"{BASE}/invocation/id-5/response", b"{}")
    assert (await task).payload == b"{}"
    client.close()


async def test_wait_initialized_times_out_on_the_clock() -> None:
    clock = FakeClock()
    slow = await RuntimeApi.start(clock=clock)
    try:
        waiter = asyncio.ensure_future(slow.wait_initialized(10))
        while clock.sleepers == 0:
            await asyncio.sleep(0)
        await clock.advance(10)
        assert (await waiter).status == "timeout"
    finally:
        await slow.close()


def test_serves_on_uvloop_as_the_server_runs_it() -> None:
    uvloop = pytest.importorskip("uvloop")

    async def exchange() -> bytes:
        api = await RuntimeApi.start()
        try:
            client = await Raw.connect(api.address)
            task = asyncio.ensure_future(api.invoke(invocation("id-uv", {"uv": True})))
            await client.send("GET", f"{BASE}/invocation/next")
            status, _, body = await client.receive()
            assert (status, json.loads(body)) == (200, {"uv": True})
            await client.request("POST", f"{BASE}/invocation/id-uv/response", b'"loop"')
            client.close()
            return (await task).payload
        finally:
            await api.close()

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        assert runner.run(exchange()) == b'"loop"'
