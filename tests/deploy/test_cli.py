"""`overcast deploy`, `overcast validate` and `overcast delete` as commands (click's CliRunner), against the
session's real server: arguments read as `sam deploy` reads them, errors that say what to do, and the
app's code uploaded before CloudFormation is asked."""

from __future__ import annotations

import contextlib
import hashlib
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from overcast.cli import main
from overcast.deploy.parameters import BadOverride, pairs
from tests.conftest import RunningServer

APP_TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Parameters:
  Greeting:
    Type: String
    Default: hello
Globals:
  Function:
    Timeout: 5
Resources:
  GreetFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: greet/
      Handler: app.handler
      Runtime: python3.12
      Role: arn:aws:iam::000000000000:role/lambda-role
      Environment:
        Variables:
          GREETING: !Ref Greeting
      Events:
        Greet:
          Type: Api
          Properties:
            Path: /greet
            Method: get
Outputs:
  GreetApi:
    Value: !Sub "https://${ServerlessRestApi}.execute-api.${AWS::Region}.amazonaws.com/Prod/greet/"
"""


def app(root: Path, template: str = APP_TEMPLATE) -> Path:
    (root / "greet").mkdir(parents=True)
    (root / "greet" / "app.py").write_text(
        "import json, os\ndef handler(event, context):\n"
        "    return {'statusCode': 200, 'body': json.dumps({'greeting': os.environ['GREETING']})}\n"
    )
    (root / "template.yaml").write_text(template)
    return root


def run(*args: str, cwd: Path, input: str | None = None) -> Result:
    """`overcast ARGS` run in `cwd`."""
    with contextlib.chdir(cwd):
        return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def uploaded_key(output: str, logical_id: str) -> str:
    found = re.search(rf"{logical_id}: (?:uploaded|unchanged, already uploaded) ([0-9a-f]{{64}}\.zip)", output)
    assert found is not None, output
    return found[1]


def test_overrides_and_tags_are_read_as_sam_reads_them() -> None:
    assert pairs(["Env=dev Size=3", 'ParameterKey=Name,ParameterValue="my app"']) == {
        "Env": "dev", "Size": "3", "Name": "my app"
    }  # fmt: skip
    assert pairs(['Greeting="hello there" Empty=', "Env=prod"]) == {
        "Greeting": "hello there",
        "Empty": "",
        "Env": "prod",
    }
    assert pairs(["ParameterKey=Url,ParameterValue=https://x/?a=b"]) == {"Url": "https://x/?a=b"}
    with pytest.raises(BadOverride, match="tag 'novalue' is not Key=Value"):
        pairs(["novalue"], "tag")
    with pytest.raises(BadOverride, match="No closing quotation"):
        pairs(['Key="open'])


def test_a_stack_name_is_required(tmp_path: Path) -> None:
    result = run("deploy", cwd=app(tmp_path / "app"))
    assert result.exit_code == 2
    assert "Missing option '--stack-name'" in result.output


def test_without_a_template_it_says_where_it_looked(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = run("deploy", "--stack-name", "s", "--endpoint-url", "http://127.0.0.1:9", cwd=tmp_path / "empty")
    assert result.exit_code == 1
    assert (
        f"No template.yaml or template.yml in {tmp_path / 'empty'}: name one with -t/--template-file" in result.output
    )
    missing = run("deploy", "-t", "nope.yaml", "--stack-name", "s", cwd=tmp_path / "empty")
    assert missing.exit_code == 1 and "Template file not found at nope.yaml" in missing.output


def test_overrides_may_follow_one_flag_unquoted(tmp_path: Path) -> None:
    root = app(tmp_path / "app")
    result = run(
        "deploy", "--parameter-overrides", "Greeting=hi", "ParameterKey=Other,ParameterValue=x", "Broken",
        "--stack-name", "s", cwd=root,
    )  # fmt: skip
    assert result.exit_code == 1  # all three were read as overrides (the third is refused), none as an argument
    assert "parameter override 'Broken' is not Key=Value" in result.output


def test_a_bad_override_is_refused_before_anything_is_built(tmp_path: Path) -> None:
    root = app(tmp_path / "app")
    result = run("deploy", "--stack-name", "s", "--parameter-overrides", "Greeting", cwd=root)
    assert result.exit_code == 1
    assert "parameter override 'Greeting' is not Key=Value or ParameterKey=Key,ParameterValue=Value" in result.output


def test_deploy_uploads_the_apps_code_before_asking_cloudformation(tmp_path: Path, server: RunningServer) -> None:
    root = app(tmp_path / "app")
    result = run(
        "deploy", "--stack-name", "greet-upload", "--endpoint-url", server.url, "--cache-dir", str(tmp_path / "cache"),
        "--parameter-overrides", "Greeting=hi", "--no-execute-changeset", cwd=root,
    )  # fmt: skip
    key = uploaded_key(result.output, "GreetFunction")
    data = (server.data_dir / "artifacts" / key).read_bytes()
    assert key == f"{hashlib.sha256(data).hexdigest()}.zip"
    again = run("deploy", "--stack-name", "greet-upload", "--endpoint-url", server.url, cwd=root)
    assert f"GreetFunction: unchanged, already uploaded {key}" in again.output


def test_validate_transforms_the_template_and_names_what_is_wrong(tmp_path: Path, server: RunningServer) -> None:
    root = app(tmp_path / "app")
    result = run("validate", "--endpoint-url", server.url, cwd=root)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{root / 'template.yaml'} is a valid SAM Template")

    broken = app(
        tmp_path / "broken",
        APP_TEMPLATE.replace("            Path: /greet\n", ""),
    )
    refused = run("validate", "--endpoint-url", server.url, cwd=broken)
    assert refused.exit_code == 1
    assert (
        "Transform AWS::Serverless-2016-10-31 failed with: Invalid Serverless Application Specification"
        in refused.output
    )
    assert "Resource with id [GreetFunction] is invalid. Event with id [Greet] is invalid." in refused.output


def test_delete_asks_first(tmp_path: Path, server: RunningServer) -> None:
    (tmp_path / "here").mkdir()
    result = run("delete", "some-stack", "--endpoint-url", server.url, cwd=tmp_path / "here", input="n\n")
    assert result.exit_code == 0
    assert "Are you sure you want to delete the stack some-stack?" in result.output
    assert "Deleted" not in result.output
