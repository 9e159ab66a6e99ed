"""`overcast.testing`, the pytest plugin users install with Overcast: its `overcast` fixture, used as a user's test
suite uses it (the plugin is loaded by its entry point, as in any project that installs Overcast)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

from overcast.testing import Overcast

HANDLER = "def handler(event, context):\n    return {'hello': event.get('name', 'world')}\n"


def _zip(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", source)
    return buffer.getvalue()


def test_a_users_test_gets_a_running_overcast_and_boto3_clients_for_it(overcast: Overcast) -> None:
    lam = overcast.client("lambda")
    lam.create_function(
        FunctionName="plugin-hello",
        Runtime="python3.12",
        Role="arn:aws:iam::000000000000:role/any",
        Handler="app.handler",
        Code={"ZipFile": _zip(HANDLER)},
    )
    lam.get_waiter("function_active_v2").wait(FunctionName="plugin-hello")
    answer = lam.invoke(FunctionName="plugin-hello", Payload=json.dumps({"name": "tests"}))
    assert json.loads(answer["Payload"].read()) == {"hello": "tests"}
    assert overcast.endpoint_url.startswith("http://127.0.0.1:")
    assert overcast.data_dir is not None and overcast.data_dir.exists()


SAM_APP = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  HelloFunction:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src/
Outputs:
  HelloName:
    Value: !Ref HelloFunction
"""


def test_a_users_test_deploys_its_sam_app_and_calls_it(overcast: Overcast, tmp_path: Path) -> None:
    app = tmp_path / "hello-app"
    (app / "src").mkdir(parents=True)
    (app / "src" / "app.py").write_text(HANDLER)
    (app / "template.yaml").write_text(SAM_APP)
    stack = overcast.deploy(app, stack_name="plugin-app")
    function = stack.resources["HelloFunction"]
    assert stack.outputs == {"HelloName": function}
    answer = overcast.client("lambda").invoke(FunctionName=function, Payload=json.dumps({"name": "stack"}))
    assert json.loads(answer["Payload"].read()) == {"hello": "stack"}
