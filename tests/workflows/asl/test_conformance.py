"""The AWS-recorded ASL corpus at the interpreter level: every engine-only case, no server.

Each case with `needs == []` of /work/shared/conformance/asl/cases.jsonl runs through
run_execution with MemoryEffects (no outside work, a fake clock) and is compared with
run_corpus.py's own comparator (loaded from the shared directory, never copied): status,
output or error and cause, and the exact history event types. A failing case fails the test
unless KNOWN_FAILURES names it with its reason. The pass rate is printed at the end.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from overcast.workflows.asl import ExecutionContext, run_execution, validate_definition
from tests.workflows.asl.journal import START, MemoryEffects

CORPUS_DIR = Path(__file__).resolve().parents[3].parent / "shared" / "conformance" / "asl"
ACCOUNT, REGION = "000000000000", "us-east-1"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/asl-corpus-sfn-role"

# case id (the part after '::') -> why it fails; each one a named, documented exception.
KNOWN_FAILURES: dict[str, str] = {}
# The engine-only cases of the corpus today, every one passing: fewer cases or fewer passes is a regression.
CORPUS_CASES = 414


def _load() -> tuple[ModuleType | None, list[dict[str, Any]]]:
    runner_path = CORPUS_DIR / "run_corpus.py"
    if not runner_path.exists():
        return None, []
    spec = importlib.util.spec_from_file_location("asl_run_corpus", runner_path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    cases = [c for c in module.load_cases(CORPUS_DIR / "cases.jsonl") if (c.get("needs") or []) == []]
    return module, cases


CORPUS, CASES = _load()
# A missing corpus fails (CI always has ../shared beside the clone); it never turns into a skip.
PARAMS = CASES or [pytest.param(None, id="corpus-missing")]
_TOKEN = re.compile(r"\{\{([a-z_]+)(?::([^{}]*))?\}\}")
_RESULTS: dict[str, bool] = {}


def _substitute(text: str) -> str:
    values = {"sfn_role_arn": ROLE_ARN, "account_id": ACCOUNT, "region": REGION}
    return _TOKEN.sub(lambda m: values.get(m.group(1), m.group(0)), text)


async def run_case(case: dict[str, Any]) -> dict[str, Any]:
    machine = validate_definition(_substitute(json.dumps(case["definition"])))
    name = "asl-" + str(abs(hash(case["id"])))[:12]
    context = ExecutionContext(
        execution_arn=f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{name}:exec-1",
        execution_name="exec-1",
        state_machine_arn=f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}",
        state_machine_name=name,
        role_arn=ROLE_ARN,
        start_time=START,
    )
    effects = MemoryEffects()
    outcome = await run_execution(machine, json.loads(_substitute(case.get("input_text") or "{}")), context, effects)
    return {
        "status": outcome.status,
        "output": outcome.output_text,
        "error": outcome.error,
        "cause": outcome.cause,
        "history_event_types": effects.types,
    }


def _short_id(case: dict[str, Any]) -> str:
    return case["id"].split("::", 1)[-1]


@pytest.mark.parametrize("case", PARAMS, ids=[_short_id(c) for c in CASES] or None)
async def test_case(case: dict[str, Any]) -> None:
    assert CORPUS is not None, f"no ASL corpus at {CORPUS_DIR} (run_corpus.py and cases.jsonl)"
    actual = await run_case(case)
    verdict = CORPUS.compare(case, actual)
    _RESULTS[case["id"]] = bool(verdict["strict"])
    reason = KNOWN_FAILURES.get(_short_id(case))
    if reason is not None:
        if verdict["strict"]:
            pytest.fail(f"listed as a known failure ({reason}) but passes: remove it from KNOWN_FAILURES")
        pytest.xfail(reason)
    assert verdict["strict"], "; ".join(verdict["diffs"][:4])


def test_pass_rate(capsys: pytest.CaptureFixture[str]) -> None:
    """Every engine-only case of the corpus ran and passed, but the known failures (runs after the cases,
    in file order): the floor is today's full pass, so a regression fails here as well as in its case."""
    assert len(CASES) >= CORPUS_CASES, f"the corpus has {len(CASES)} engine-only cases, {CORPUS_CASES} expected"
    assert len(_RESULTS) == len(CASES), f"{len(_RESULTS)} of {len(CASES)} cases ran: run this file whole"
    passed = sum(_RESULTS.values())
    with capsys.disabled():
        print(f"\nASL conformance (interpreter, engine-only cases): {passed}/{len(_RESULTS)} passed")
    assert passed >= len(CASES) - len(KNOWN_FAILURES)
