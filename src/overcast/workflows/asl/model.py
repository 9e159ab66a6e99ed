"""The state machine model: one frozen dataclass per ASL state type, plus Retry/Catch and Choice rules.

Field values stay as the definition wrote them (payload templates, paths, JSONata strings);
the interpreter compiles and caches what it evaluates. Every state records the query language
in force for it (the state's own `QueryLanguage`, else the machine's), so evaluation never
looks upward. https://docs.aws.amazon.com/step-functions/latest/dg/concepts-amazon-states-language.html
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

JSONPATH: Final = "JSONPath"
JSONATA: Final = "JSONata"
QueryLanguage = Literal["JSONPath", "JSONata"]


class _Absent:
    """The marker for "field not written" where null means something else (ResultPath: null)."""

    _instance: _Absent | None = None

    def __new__(cls) -> _Absent:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ABSENT"

    def __bool__(self) -> bool:
        return False


ABSENT: Final = _Absent()


@dataclass(frozen=True, slots=True)
class Retrier:
    """One entry of a state's Retry list."""

    error_equals: tuple[str, ...]
    interval_seconds: int = 1
    max_attempts: int = 3
    backoff_rate: float = 2.0
    max_delay_seconds: int | None = None
    jitter_strategy: Literal["FULL", "NONE"] = "NONE"


@dataclass(frozen=True, slots=True)
class Catcher:
    """One entry of a state's Catch list. `result_path` None means ResultPath: null (JSONPath)."""

    error_equals: tuple[str, ...]
    next: str
    result_path: str | None = "$"
    assign: Any = ABSENT
    output: Any = ABSENT  # JSONata


@dataclass(frozen=True, slots=True)
class Comparison:
    """A Choice comparison: `Variable` tested with one operator (e.g. StringEquals, IsPresent)."""

    variable: str
    operator: str
    value: Any


@dataclass(frozen=True, slots=True)
class Combination:
    """And / Or over several rules, or Not over one."""

    operator: Literal["And", "Or", "Not"]
    rules: tuple[Rule, ...]


Rule = Comparison | Combination


@dataclass(frozen=True, slots=True)
class ChoiceRule:
    """A top-level Choice rule: a JSONPath `rule` or a JSONata `condition`, then Next."""

    next: str
    rule: Rule | None = None
    condition: Any = ABSENT  # JSONata: a boolean or a "{% ... %}" string
    assign: Any = ABSENT
    output: Any = ABSENT
    comment: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class State:
    """Fields every state may carry (each subclass' validation says which it accepts).

    `input_path`/`output_path` None means the field was null (no input / empty object output);
    `result_path` None means ResultPath: null (discard the result, keep the input).
    """

    name: str
    type: str
    query_language: QueryLanguage = JSONPATH
    comment: str | None = None
    next: str | None = None
    end: bool = False
    input_path: str | None = "$"
    output_path: str | None = "$"
    result_path: str | None = "$"
    parameters: Any = ABSENT  # JSONPath payload template
    result_selector: Any = ABSENT  # JSONPath payload template
    arguments: Any = ABSENT  # JSONata
    output: Any = ABSENT  # JSONata
    assign: Any = ABSENT  # both languages


@dataclass(frozen=True, slots=True, kw_only=True)
class PassState(State):
    result: Any = ABSENT


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskState(State):
    resource: str
    timeout_seconds: Any = ABSENT  # int, or JSONata string
    timeout_seconds_path: str | None = None
    heartbeat_seconds: Any = ABSENT
    heartbeat_seconds_path: str | None = None
    credentials: Any = ABSENT
    retry: tuple[Retrier, ...] = ()
    catch: tuple[Catcher, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ChoiceState(State):
    choices: tuple[ChoiceRule, ...] = ()
    default: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class WaitState(State):
    seconds: Any = ABSENT  # int, or JSONata string
    timestamp: Any = ABSENT  # ISO-8601 string, or JSONata string
    seconds_path: str | None = None
    timestamp_path: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SucceedState(State):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class FailState(State):
    error: Any = ABSENT  # string, or JSONata string
    error_path: str | None = None
    cause: Any = ABSENT
    cause_path: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ParallelState(State):
    branches: tuple[StateMachine, ...] = ()
    retry: tuple[Retrier, ...] = ()
    catch: tuple[Catcher, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class MapState(State):
    """Map, inline or distributed. `processor` is ItemProcessor (or the legacy Iterator)."""

    processor: StateMachine
    mode: Literal["INLINE", "DISTRIBUTED"] = "INLINE"
    execution_type: str | None = None
    items_path: str | None = "$"
    items: Any = ABSENT  # JSONata: an array or "{% ... %}"
    item_selector: Any = ABSENT  # ItemSelector (or the legacy Parameters)
    item_reader: Any = ABSENT
    item_batcher: Any = ABSENT
    result_writer: Any = ABSENT
    max_concurrency: Any = 0  # int, or JSONata string
    max_concurrency_path: str | None = None
    tolerated_failure_percentage: Any = ABSENT
    tolerated_failure_percentage_path: str | None = None
    tolerated_failure_count: Any = ABSENT
    tolerated_failure_count_path: str | None = None
    label: str | None = None
    retry: tuple[Retrier, ...] = ()
    catch: tuple[Catcher, ...] = ()


AnyState = (
    PassState
    | TaskState
    | ChoiceState
    | WaitState
    | SucceedState
    | FailState
    | ParallelState
    | MapState
)


@dataclass(frozen=True, slots=True)
class StateMachine:
    """A whole definition, or a Parallel branch / Map processor (same shape: StartAt + States)."""

    start_at: str
    states: Mapping[str, AnyState]
    query_language: QueryLanguage = JSONPATH
    comment: str | None = None
    timeout_seconds: int | None = None
    version: str | None = None
    definition: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
