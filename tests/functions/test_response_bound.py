"""A response too long for Invoke is read into nothing as it arrives, not held: the server's memory stays put.

Lambda answers a response over 6 MB with Function.ResponseSizeTooLarge (the function did run). Before,
Overcast's end of an instance's channel held the whole response (twice) before checking its size, so one
function returning 150 MB grew the server by 300 MB.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import start_server
from tests.functions.test_log_flood import client, create, rss_kb

BIG = """
def handler(event, context):
    if event.get("mb"):
        return "x" * (event["mb"] * 1024 * 1024)
    return "small"
"""


def test_a_150_mb_response_is_refused_without_being_held(tmp_path: Path) -> None:
    running = start_server(tmp_path / "data")
    try:
        lam = client(running, "lambda")
        name = create(lam, "python3.12", {"index.py": BIG}, "index.handler", memory=1769)
        assert json.loads(lam.invoke(FunctionName=name, Payload=b"{}")["Payload"].read()) == "small"  # warm
        idle = rss_kb(running.process.pid)
        out = lam.invoke(FunctionName=name, Payload=json.dumps({"mb": 150}))
        assert out["FunctionError"] == "Unhandled"
        assert json.loads(out["Payload"].read())["errorType"] == "Function.ResponseSizeTooLarge"
        peak = rss_kb(running.process.pid, "VmHWM")
        print(f"server RSS {idle // 1024} MB -> peak {peak // 1024} MB for a 150 MB response")
        assert peak - idle < 50 * 1024
        # The instance is whole: the next frame is read where the long one ended.
        assert json.loads(lam.invoke(FunctionName=name, Payload=b"{}")["Payload"].read()) == "small"
    finally:
        running.stop()
