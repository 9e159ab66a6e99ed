"""The AWS-recorded ASL corpus through the real stepfunctions API of a real server.

Every engine-only case (needs == []) and every Lambda case (needs == ["lambda"]) of
/work/shared/conformance/asl/cases.jsonl runs with run_corpus.py's own Runner and comparator
(loaded from the shared directory, never copied). A case that fails fails the test unless
KNOWN_FAILURES names it with the reason. The pass rate is written to the terminal at the end.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.conftest import RunningServer

CORPUS_DIR = Path(__file__).resolve().parents[2].parent / "shared/conformance/asl"

_HEADERS = (
    "the recording replaced the Lambda response's Date and X-Amzn-Trace-Id header values with the"
    " placeholder texts 'date' and 'X-Amzn-Trace-Id', which no real header value (an HTTP date, a list)"
    " can match"
)
_BASE = "tests/aws/services/stepfunctions/v2/"
# case id -> why it fails (each one a named, documented exception).
KNOWN_FAILURES: dict[str, str] = {
    _BASE + "context_object/test_context_object.py::TestSnfBase::test_result_selector": _HEADERS,
    _BASE + "evaluate_jsonata/test_base_evaluate_expressions.py::TestBaseEvaluateJsonata::"
    "test_base_task[HEARTBEAT_SECONDS]": _HEADERS,
    _BASE + "evaluate_jsonata/test_base_evaluate_expressions.py::TestBaseEvaluateJsonata::"
    "test_base_task[TIMEOUT_SECONDS]": _HEADERS,
    _BASE + "evaluate_jsonata/test_base_evaluate_expressions.py::TestBaseEvaluateJsonata::"
    "test_base_task_from_input[HEARTBEAT_SECONDS]": _HEADERS,
    _BASE + "outputdecl/test_output.py::TestArgumentsBase::test_base_task_lambda[BASE_TASK_LAMBDA]": _HEADERS,
}


def _load() -> tuple[ModuleType | None, list[dict[str, Any]]]:
    script = CORPUS_DIR / "run_corpus.py"
    if not script.exists() or not (CORPUS_DIR / "cases.jsonl").exists():
        return None, []
    spec = importlib.util.spec_from_file_location("run_corpus", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    cases = [c for c in module.load_cases(CORPUS_DIR / "cases.jsonl") if module._selected(c)]
    return module, cases


CORPUS, CASES = _load()
RESULTS: dict[str, list[str]] = {"passed": [], "failed": [], "known": []}
# A missing corpus fails (CI always has ../shared beside the clone); it never turns into a skip.
PARAMS = CASES or [pytest.param(None, id="corpus-missing")]


@pytest.fixture(scope="module")
def runner(server: RunningServer, request: pytest.FixtureRequest) -> Iterator[Any]:
    if CORPUS is None:
        pytest.fail(f"no conformance corpus at {CORPUS_DIR} (run_corpus.py and cases.jsonl)")
    made = CORPUS.Runner(server.url, "us-east-1", "000000000000", 30.0, run_tag=str(time.time()))
    made.set_account(made.detect_account() or "000000000000")
    yield made
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    ran = len(RESULTS["passed"]) + len(RESULTS["failed"]) + len(RESULTS["known"])
    line = (
        f"ASL conformance: {len(RESULTS['passed'])}/{ran} passed"
        f" ({len(RESULTS['known'])} known failures, {len(RESULTS['failed'])} unexpected)"
    )
    if reporter is not None:
        reporter.write_line(line)
    else:
        print(line)


@pytest.mark.parametrize("case", PARAMS, ids=[c["id"].rsplit("::", 1)[-1][:80] for c in CASES] or None)
def test_case(case: dict[str, Any], runner: Any) -> None:
    assert CORPUS is not None
    # run_corpus caches functions by name, but cases reuse names with other code: make each case's own.
    runner.created_functions.clear()
    try:
        actual = runner.run_case(case)
    except Exception as error:
        actual = {"error_running": f"{type(error).__name__}: {error}"}
    diffs = [actual["error_running"]] if "error_running" in actual else CORPUS.compare(case, actual)["diffs"]
    if not diffs:
        RESULTS["passed"].append(case["id"])
        if case["id"] in KNOWN_FAILURES:
            pytest.fail(f"listed as a known failure ({KNOWN_FAILURES[case['id']]}) but passes: remove it")
        return
    if case["id"] in KNOWN_FAILURES:
        RESULTS["known"].append(case["id"])
        pytest.xfail(f"{KNOWN_FAILURES[case['id']]} [{'; '.join(diffs[:3])}]")
    RESULTS["failed"].append(case["id"])
    why = ""
    if actual.get("status") == "FAILED":  # what failed it, so that a rare failure says why in CI's output
        why = f" [the execution's error: {actual.get('error')}; cause: {str(actual.get('cause'))[:500]}]"
    pytest.fail("; ".join(diffs[:5]) + why)
