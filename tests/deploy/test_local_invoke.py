"""`overcast local invoke`: one function of a template built and run once in Overcast's sandbox with no server,
as `sam local invoke` runs one: by logical id, with an event file or stdin, its log on stderr and its answer
on stdout, exit 1 with the error document on a function error."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from overcast.cli import main
from tests.conftest import RunningServer

TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: {Type: String, Default: dev}
Globals:
  Function:
    Timeout: 10
    Environment:
      Variables:
        STAGE: !Ref Stage
Resources:
  Table:
    Type: AWS::DynamoDB::Table
  HelloFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.12
      MemorySize: 256
      Environment:
        Variables:
          GREETING: hello
          TABLE: !Ref Table
          TABLE_ARN: !GetAtt Table.Arn
  FailFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.fail
      Runtime: python3.12
  NodeFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: node/
      Handler: index.handler
      Runtime: nodejs20.x
"""

GREET = """\
import os

def handler(event, context):
    print("greeting", event.get("name"))
    names = ("GREETING", "STAGE", "TABLE", "TABLE_ARN", "AWS_ENDPOINT_URL", "LAMBDA_TASK_ROOT")
    env = {name: os.environ.get(name) for name in names}
    return {"event": event, "function": context.function_name, "memory": context.memory_limit_in_mb, "env": env}

def fail(event, context):
    raise ValueError("no such greeting")

def functions(event, context):
    import boto3
    return sorted(f["FunctionName"] for f in boto3.client("lambda").list_functions()["Functions"])
"""

NODE = """\
exports.handler = async (event) => {
  console.log("node says", event.name);
  return { node: process.version, event };
};
"""


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "app"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text(GREET)
    (root / "node").mkdir()
    (root / "node" / "index.js").write_text(NODE)
    (root / "template.yaml").write_text(TEMPLATE)
    (root / "event.json").write_text(json.dumps({"name": "world"}))
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def started() -> Iterator[list[list[str]]]:
    """The argv of every program this process starts while the test runs (Python's audit events)."""
    programs: list[list[str]] = []
    recording = [True]

    def hook(event: str, args: tuple[object, ...]) -> None:
        if recording[0] and event in ("subprocess.Popen", "os.exec", "os.posix_spawn", "os.spawn"):
            argv = args[1]
            programs.append([str(arg) for arg in argv] if isinstance(argv, list | tuple) else [str(argv)])

    sys.addaudithook(hook)  # hooks cannot be removed: it stops recording when the test ends
    yield programs
    recording[0] = False


def local_invoke(tmp_path: Path, *args: str, stdin: str | None = None, server: str | None = None) -> Result:
    """`overcast local invoke ARGS`, asking no server (an empty data dir) unless `server` is given."""
    where = ["--endpoint-url", server] if server else ["--data-dir", str(tmp_path / "no-server")]
    cache = ["--cache-dir", str(tmp_path / "cache")]
    return CliRunner().invoke(main, ["local", "invoke", *args, *where, *cache], input=stdin)


def answer(result: Result) -> dict[str, object]:
    assert result.exit_code == 0, result.stderr + result.stdout
    loaded: dict[str, object] = json.loads(result.stdout)
    return loaded


def test_a_python_function_by_logical_id_with_an_event_file(
    app: Path, tmp_path: Path, started: list[list[str]]
) -> None:
    result = local_invoke(tmp_path, "HelloFunction", "-e", "event.json")
    body = answer(result)
    assert body["event"] == {"name": "world"}
    assert body["function"] == "HelloFunction"
    assert body["memory"] == "256"
    env = body["env"]
    assert isinstance(env, dict)
    # the template's own variable, the Globals' (with its parameter's default), and Refs to a resource that
    # cannot exist without a stack standing in as `sam local` has them
    assert env["GREETING"] == "hello"
    assert env["STAGE"] == "dev"
    assert env["TABLE"] == "Table"
    assert env["TABLE_ARN"] == "arn:aws:dynamodb:us-east-1:000000000000:Table"
    assert env["AWS_ENDPOINT_URL"] is None
    if os.geteuid() == 0:  # confined as a deployed function is: its code mounted at /var/task
        assert env["LAMBDA_TASK_ROOT"] == "/var/task"
    assert "No running Overcast found: the function runs with no AWS_ENDPOINT_URL" in result.stderr
    log = result.stderr.splitlines()
    start = next(i for i, line in enumerate(log) if line.startswith("START RequestId: "))
    assert log[start + 1] == "greeting world"
    assert log[start + 2].startswith("END RequestId: ")
    assert log[start + 3].startswith("REPORT RequestId: ") and "\tInit Duration: " in log[start + 3]
    assert "\tMemory Size: 256 MB\t" in log[start + 3]
    # run in Overcast's sandbox, started by this process: no server was
    assert started, "the sandbox started no process"
    servers = [argv for argv in started if "up" in argv and any("overcast" in arg for arg in argv)]
    assert not servers, servers


def test_the_event_from_stdin_and_parameter_overrides(app: Path, tmp_path: Path) -> None:
    result = local_invoke(
        tmp_path, "HelloFunction", "--event", "-", "--parameter-overrides", "Stage=prod", stdin='{"name": "stdin"}'
    )
    body = answer(result)
    assert body["event"] == {"name": "stdin"}
    env = body["env"]
    assert isinstance(env, dict) and env["STAGE"] == "prod"


def test_env_vars_file_overrides_the_templates_variables_as_sam(app: Path, tmp_path: Path) -> None:
    variables = {
        "Parameters": {"STAGE": "from-parameters", "GREETING": "from-parameters"},
        "HelloFunction": {"GREETING": "from-function", "UNDECLARED": "ignored"},
    }
    (app / "env.json").write_text(json.dumps(variables))
    body = answer(local_invoke(tmp_path, "HelloFunction", "--env-vars", "env.json"))
    env = body["env"]
    assert isinstance(env, dict)
    assert env["GREETING"] == "from-function"  # the function's own wins over Parameters
    assert env["STAGE"] == "from-parameters"
    assert "UNDECLARED" not in env


def test_a_node_function(app: Path, tmp_path: Path) -> None:
    result = local_invoke(tmp_path, "NodeFunction", "-e", "event.json")
    body = answer(result)
    assert str(body["node"]).startswith("v20.")
    assert body["event"] == {"name": "world"}
    assert any(line.endswith("\tINFO\tnode says world") for line in result.stderr.splitlines())


def test_a_function_error_exits_1_with_the_error_document(app: Path, tmp_path: Path) -> None:
    result = local_invoke(tmp_path, "FailFunction")
    assert result.exit_code == 1
    error = json.loads(result.stdout)
    assert error["errorType"] == "ValueError"
    assert error["errorMessage"] == "no such greeting"
    assert "[ERROR] ValueError: no such greeting" in result.stderr
    assert "REPORT RequestId: " in result.stderr


def test_a_function_the_template_does_not_have_names_those_it_has(app: Path, tmp_path: Path) -> None:
    result = local_invoke(tmp_path, "Missing")
    assert result.exit_code == 1
    assert "no function Missing; its functions: FailFunction, HelloFunction, NodeFunction." in result.stderr
    result = local_invoke(tmp_path)
    assert result.exit_code == 1
    assert "The template has 3 functions (FailFunction, HelloFunction, NodeFunction): name the one" in result.stderr


def test_a_templates_only_function_needs_no_logical_id(app: Path, tmp_path: Path) -> None:
    (app / "template.yaml").write_text(TEMPLATE.split("  FailFunction:")[0])
    body = answer(local_invoke(tmp_path, "-t", "template.yaml"))
    assert body["function"] == "HelloFunction"


def test_inline_code(app: Path, tmp_path: Path) -> None:
    inline = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  InlineFunction:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.12, Handler: index.handler, InlineCode: "def handler(event, context):\\n  return 1"}
"""
    (app / "inline.yaml").write_text(inline)
    assert answer(local_invoke(tmp_path, "-t", "inline.yaml", "-e", "event.json")) == 1


def test_a_local_layer_is_under_opt(app: Path, tmp_path: Path) -> None:
    (app / "layer" / "python").mkdir(parents=True)
    (app / "layer" / "python" / "shared.py").write_text("WORD = 'from the layer'\n")
    (app / "layered").mkdir()
    (app / "layered" / "app.py").write_text("import shared\ndef handler(event, context):\n    return shared.WORD\n")
    layered = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  SharedLayer:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: layer/
  LayeredFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: layered/
      Runtime: python3.12
      Handler: app.handler
      Layers: [!Ref SharedLayer]
"""
    (app / "layered.yaml").write_text(layered)
    result = local_invoke(tmp_path, "-t", "layered.yaml")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == "from the layer"


def test_a_running_overcast_is_the_functions_endpoint(app: Path, tmp_path: Path, server: RunningServer) -> None:
    (app / "template.yaml").write_text(TEMPLATE.replace("Handler: app.fail", "Handler: app.functions"))
    result = local_invoke(tmp_path, "FailFunction", server=server.url)
    listed = json.loads(result.stdout)  # the runtime's boto3 listed the server's functions
    assert result.exit_code == 0 and isinstance(listed, list), result.stderr
    assert "No running Overcast found" not in result.stderr
