"""A function's SDK credentials name its own account: its calls to Overcast act in that account, not the default one."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from pathlib import Path
from typing import Any

import boto3
import botocore
import dateutil
import jmespath
import s3transfer
import urllib3

from tests.conftest import ClientFactory
from tests.functions.deployed import ROLE, python_function

ACCOUNT = "222222222222"

WHO_AM_I = """
import boto3

def handler(event, context):
    # boto3 as a function uses it: credentials, Region and endpoint all from the environment Lambda sets.
    identity = boto3.client("sts").get_caller_identity()
    names = [f["FunctionName"] for f in boto3.client("lambda").list_functions()["Functions"]]
    return {"account": identity["Account"], "arn": identity["Arn"], "functions": names}
"""

SERVICES = ("sts", "lambda")  # the only models the function loads: the zip stays a few MB


def sdk_zip(body: str) -> bytes:
    """index.py beside boto3 as the runtime provides it on AWS (Overcast's runtime does not bundle it),
    with botocore's data for the services the handler calls."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("index.py", body)
        for package in (boto3, botocore, dateutil, jmespath, s3transfer, urllib3):
            root = Path(package.__file__ or "").parent
            for path in root.rglob("*"):
                relative = path.relative_to(root.parent)
                parts = relative.parts
                if not path.is_file() or "__pycache__" in parts:
                    continue
                if parts[:2] == ("botocore", "data") and len(parts) > 3 and parts[2] not in SERVICES:
                    continue
                archive.write(path, str(relative))
        six = Path(dateutil.__file__ or "").parent.parent / "six.py"
        archive.write(six, "six.py")
    return buffer.getvalue()


def test_a_function_in_another_account_acts_in_its_own_account(aws: ClientFactory) -> None:
    own = aws("lambda", aws_access_key_id=ACCOUNT, aws_secret_access_key="x", region_name="us-west-2")
    name = f"whoami-{uuid.uuid4().hex[:8]}"
    own.create_function(
        FunctionName=name, Runtime="python3.12", Role=ROLE, Handler="index.handler",
        Code={"ZipFile": sdk_zip(WHO_AM_I)}, Timeout=30,
    )  # fmt: skip
    own.get_waiter("function_active_v2").wait(FunctionName=name)
    python_function(aws("lambda", region_name="us-west-2"), "default-account", "def handler(e, c):\n    return 1\n")
    answer = own.invoke(FunctionName=name)
    result = json.loads(answer["Payload"].read())
    assert "FunctionError" not in answer, result
    assert result["account"] == ACCOUNT and f"::{ACCOUNT}:" in result["arn"]
    assert name in result["functions"]  # listed in its own account and Region (us-west-2), where it lives
    assert all(not n.startswith("default-account-") for n in result["functions"])  # the default account's are not


def test_the_function_environment_names_the_account_and_region(aws: ClientFactory) -> None:
    own = aws("lambda", aws_access_key_id=ACCOUNT, aws_secret_access_key="x", region_name="eu-west-1")
    keys = ("AWS_ACCESS_KEY_ID", "AWS_REGION", "AWS_DEFAULT_REGION")
    body = f"import os\n\ndef handler(e, c):\n    return {{k: os.environ[k] for k in {keys!r}}}\n"
    name = python_function(own, "env", body).rsplit(":", 1)[1]
    result: dict[str, Any] = json.loads(own.invoke(FunctionName=name)["Payload"].read())
    assert result == {"AWS_ACCESS_KEY_ID": ACCOUNT, "AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-1"}
