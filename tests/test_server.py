"""`overcast up` and `overcast status` as a user runs them: start, health, refusal, clean stops."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import boto3
import psutil
import pytest

from tests.conftest import RunningServer, start_server
from tests.functions.zips import handler_zip


def _children(server: RunningServer) -> list[psutil.Process]:
    return psutil.Process(server.process.pid).children(recursive=True)


def _gone(processes: list[psutil.Process], within: float = 10.0) -> bool:
    """Poll until every process has exited (a liveness check, not a timing assertion)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in processes):
            return True
        time.sleep(0.05)
    return False


def _get_json(url: str) -> dict[str, object]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return dict(json.loads(response.read()))


def test_health_is_answered_on_both_paths(server: RunningServer) -> None:
    for path in ("/_overcast/health", "/_localstack/health"):
        health = _get_json(server.url + path)
        services = health["services"]
        assert isinstance(services, dict)
        assert services["lambda"] == "available"
        assert set(services) >= {"sqs", "stepfunctions", "iam", "s3"}


def _invoke_a_function(server: RunningServer) -> None:
    """Create and invoke a Python function: what starts the zygote, an instance and the outbox's writer."""
    lam = boto3.client("lambda", endpoint_url=server.url, region_name="us-east-1")
    lam.create_function(
        FunctionName="hello", Runtime=f"python3.{sys.version_info.minor}", Role="arn:aws:iam::000000000000:role/r",
        Handler="index.handler", Code={"ZipFile": handler_zip()},
    )  # fmt: skip
    assert lam.invoke(FunctionName="hello", Payload=b'{"a": 1}')["Payload"].read() == b'{"a": 1}'


def _helpers(server: RunningServer) -> dict[str, object]:
    """What the running server says runs besides itself, once the outbox's first batch has been handed over."""
    deadline = time.monotonic() + 10
    while True:  # a liveness poll: the writer starts as the first batch gathers (at most half a second)
        running = _get_json(server.url + "/_overcast/health")["overcast"]
        assert isinstance(running, dict)
        if "running" in str(running["outbox_writer"]) or time.monotonic() > deadline:
            return running
        time.sleep(0.05)


def test_an_idle_server_runs_no_helper_process(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data")
    try:
        assert _children(server) == []
        running = _get_json(server.url + "/_overcast/health")["overcast"]
        assert isinstance(running, dict)
        assert running["bus"] == {"state": "not started (started on first use)", "embedded": True, "url": None}
        assert running["outbox_writer"] == "not started (starts with the first invocation)"
        assert str(running["zygotes"]).startswith("none")
        assert not (tmp_path / "data" / "nats").exists()
        not_started = "not started (started on its first request)"
        parts = ("stepfunctions", "iam", "sns", "sqs", "apigateway", "apigatewayv2", "cloudformation")
        assert running["services"] == dict.fromkeys(parts, not_started)
    finally:
        server.stop()


def _services(server: RunningServer) -> dict[str, str]:
    running = _get_json(server.url + "/_overcast/health")["overcast"]
    assert isinstance(running, dict)
    return dict(running["services"])


def test_a_service_starts_with_its_first_request_and_step_functions_again_at_restart(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data")
    try:
        sfn = boto3.client("stepfunctions", endpoint_url=server.url, region_name="us-east-1")
        assert sfn.list_state_machines()["stateMachines"] == []  # answered once its part is built
        assert _services(server)["stepfunctions"] == "running"
        assert _services(server)["apigateway"] == "not started (started on its first request)"
        apis = _get_json(server.url + "/_overcast/apis")  # API Gateway's tables: its part starts for them
        assert apis == {"endpoints": []} and _services(server)["apigatewayv2"] == "running"
    finally:
        server.stop()
    again = start_server(tmp_path / "data")  # Standard executions of the earlier run may wait to resume
    try:
        services = _services(again)
        assert services["stepfunctions"] == "running"
        assert services["apigateway"] == "not started (started on its first request)"
    finally:
        again.stop()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_everything_it_started(tmp_path: Path, sig: int) -> None:
    server = start_server(tmp_path / "data")
    _invoke_a_function(server)
    running = _helpers(server)
    assert str(running["outbox_writer"]).startswith("running (pid ")
    children = _children(server)
    names = [" ".join(p.cmdline()) for p in children]
    assert any("overcast.functions.outbox_process" in name for name in names), names
    assert len(children) >= 3, names  # the writer, the zygote, the function's instance
    assert server.stop(sig) == 0
    assert _gone(children), "a child outlived the server"
    assert not (tmp_path / "data" / "overcast.json").exists()


def test_a_second_up_on_the_same_data_dir_is_refused(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data")
    try:
        second = subprocess.run(
            [sys.executable, "-m", "overcast", "up", "--port", "0", "--data-dir", str(tmp_path / "data")],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert second.returncode == 1
        assert "already running on data dir" in second.stderr
        assert server.url in second.stderr
        assert server.process.poll() is None
    finally:
        server.stop()


def test_kill_9_leaves_no_orphans_and_the_data_dir_restarts(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data")
    _invoke_a_function(server)
    _helpers(server)
    children = _children(server)
    assert len(children) >= 3, [" ".join(p.cmdline()) for p in children]
    server.stop(signal.SIGKILL)
    assert _gone(children), "a helper process outlived a killed server"
    again = start_server(tmp_path / "data")
    assert again.stop() == 0


def test_status_reports_what_runs_and_the_host_isolation(server: RunningServer) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "overcast", "status", "--json", "--data-dir", str(server.data_dir)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    status = json.loads(result.stdout)
    assert status["running"] is True
    assert status["url"] == server.url
    assert status["bus"]["state"] == "not started (started on first use)"
    assert status["store"]["engine"] == "sqlite"
    assert status["isolation"]["summary"]
    assert "cgroups" in status["isolation"]
    layers = {layer["layer"]: layer for layer in status["isolation"]["layers"]}
    # Every layer is listed, in force or not, with what it does or what the host lacks.
    assert list(layers) == ["cgroup", "mount", "ipc", "pid", "network", "user", "seccomp", "freezer"]
    assert layers["seccomp"]["in_force"] == status["isolation"]["seccomp"]
    assert all(f"{name}: {layer['detail']}" in status["isolation"]["summary"] for name, layer in layers.items())
    if status["isolation"]["root"] and "mnt" in status["isolation"]["namespaces"]:  # the layers in force
        rest = "read-only" if status["isolation"]["readonly_mounts"] else "writable"
        assert f"the rest {rest}" in layers["mount"]["detail"]
        assert layers["pid"]["in_force"] == ("pid" in status["isolation"]["namespaces"])
        assert layers["network"]["in_force"] == ("net" in status["isolation"]["namespaces"])
        if layers["network"]["in_force"]:
            assert "only its loopback" in layers["network"]["detail"]
    else:
        assert layers["network"]["in_force"] is False and "needs root" in layers["network"]["detail"]
        assert layers["user"]["in_force"] and layers["freezer"]["in_force"]
    table = subprocess.run(
        [sys.executable, "-m", "overcast", "status", "--endpoint-url", server.url],
        capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    for name in layers:
        assert f"isolation: {name}" in table.stdout


def test_status_of_a_stopped_data_dir(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "overcast", "status", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert "not running" in result.stdout


def test_bad_settings_fail_at_start_with_a_clear_message(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "overcast", "up", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=30,
        env={"OVERCAST_DEFAULT_ACCOUNT": "abc", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 2
    assert "'abc' is not a 12-digit account id" in result.stderr


def _up(data_dir: Path, port: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "overcast", "up", "--port", str(port), "--data-dir", str(data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_up_on_a_busy_port_names_it_and_creates_nothing(tmp_path: Path) -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        process = _up(tmp_path / "data", port)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 1 and out == ""
    assert f"port {port} is in use on 127.0.0.1" in err and "--port" in err
    assert not (tmp_path / "data").exists()  # no data dir, so no lock file, database or nats store either


def test_up_on_the_port_of_a_running_overcast_names_it(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data")
    port = int(server.url.rsplit(":", 1)[1])
    try:
        before = sorted(p.name for p in (tmp_path / "data").iterdir())
        process = _up(tmp_path / "data", port)
        _, err = process.communicate(timeout=30)
        assert process.returncode == 1
        assert f"port {port} is in use: Overcast is already running there on data dir {tmp_path / 'data'}" in err
        assert f"(pid {server.process.pid})" in err
        assert sorted(p.name for p in (tmp_path / "data").iterdir()) == before
        assert _get_json(server.url + "/_overcast/health")["edition"] == "overcast"
    finally:
        server.stop()


def test_two_ups_racing_for_one_port_start_one_and_the_other_creates_nothing(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    racers = {name: _up(tmp_path / name, port) for name in ("a", "b")}  # both past any check at once
    try:
        assert racers["a"].stdout is not None and racers["b"].stdout is not None
        lines = {name: process.stdout.readline() for name, process in racers.items()}  # type: ignore[union-attr]
        winners = [name for name, line in lines.items() if line.startswith("Overcast ready on ")]
        assert len(winners) == 1, lines
        (loser,) = set(racers) - set(winners)
        _, err = racers[loser].communicate(timeout=30)
        assert racers[loser].returncode == 1 and f"port {port} is in use" in err
        assert not (tmp_path / loser).exists()
    finally:
        for process in racers.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=20)
