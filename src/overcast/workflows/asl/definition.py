"""Definition text -> StateMachine, with AWS's validation diagnostics (InvalidDefinition).

The machine level lives here (StartAt, States, transitions, reachability, a terminal state);
each state's fields are parsed in states.py (Choice rules in choice.py), Retry and Catch in
error_handling.py, the expressions inside fields checked in expressions.py; diagnostics.py has
AWS's diagnostic and error shapes.
"""

from __future__ import annotations

import json
from typing import Any

from overcast.workflows.asl import model as m
from overcast.workflows.asl.diagnostics import Diagnostic, Findings, InvalidDefinition
from overcast.workflows.asl.expressions import is_int
from overcast.workflows.asl.model import JSONPATH
from overcast.workflows.asl.states import TERMINAL, StateParser, query_language

__all__ = ["Diagnostic", "InvalidDefinition", "analyse", "validate_definition"]


def validate_definition(text: str) -> m.StateMachine:
    """Parse and validate definition text; raise InvalidDefinition with AWS's diagnostics."""
    machine, diagnostics = analyse(text)
    errors = [d for d in diagnostics if d.severity == "ERROR"]
    if errors or machine is None:
        raise InvalidDefinition(errors)
    return machine


def analyse(text: str) -> tuple[m.StateMachine | None, list[Diagnostic]]:
    """Every diagnostic for a definition (errors and warnings), and the machine when valid."""
    if not text or not text.strip():
        return None, [Diagnostic("MISSING_DESCRIPTION", "Received a null or empty workflow input.")]
    try:
        document = json.loads(text)
    except ValueError as exc:
        return None, [Diagnostic("INVALID_JSON_DESCRIPTION", str(exc))]
    parser = _MachineParser()
    machine = parser.machine(document, "", JSONPATH, top=True)
    if parser.f.has_errors():
        return None, parser.f.diagnostics
    return machine, parser.f.diagnostics


class _MachineParser:
    """The top-level machine and every nested one (Parallel branches, Map item processors)."""

    def __init__(self) -> None:
        self.f = Findings()
        self.states = StateParser(self.f, self.machine)

    def machine(self, doc: Any, at: str, inherited: str, *, top: bool = False) -> m.StateMachine | None:
        f = self.f
        if not isinstance(doc, dict):
            f.schema("Expected value of type: Object", at or "/")
            return None
        allowed = {"StartAt", "States", "Comment", "QueryLanguage"}
        if top:
            allowed |= {"Version", "TimeoutSeconds"}
        else:
            allowed |= {"ProcessorConfig"}
        for key in doc:
            if key not in allowed:
                f.schema(f"Field '{key}' is not supported", f"{at}/{key}" if at else "/")
        language = query_language(f, doc, at, inherited)
        start_at = doc.get("StartAt")
        states_doc = doc.get("States")
        if start_at is None:
            f.schema("Missing required property 'StartAt'", at or "/")
        elif not isinstance(start_at, str):
            f.schema("Expected value of type: String", f"{at}/StartAt")
        if states_doc is None:
            f.schema("Missing required property 'States'", at or "/")
            return None
        if not isinstance(states_doc, dict) or not states_doc:
            f.schema("Expected value of type: non-empty Object", f"{at}/States")
            return None
        states: dict[str, m.AnyState] = {}
        for name, sdoc in states_doc.items():
            state = self.states.state(name, sdoc, f"{at}/States/{name}", language)
            if state is not None:
                states[name] = state
        if isinstance(start_at, str) and start_at not in states_doc:
            f.error("MISSING_TRANSITION_TARGET", f"Missing 'StartAt' target: {start_at}", f"{at}/StartAt")
        self.transitions(states, at, start_at if isinstance(start_at, str) else None)
        timeout = doc.get("TimeoutSeconds")
        if timeout is not None and (not is_int(timeout) or timeout < 0):
            f.schema("Expected value of type: Integer >= 0", f"{at}/TimeoutSeconds")
        return m.StateMachine(
            start_at=start_at if isinstance(start_at, str) else "",
            states=states,
            query_language=language,  # type: ignore[arg-type]
            comment=doc.get("Comment"),
            timeout_seconds=timeout if is_int(timeout) else None,
            version=doc.get("Version"),
            definition=doc,
        )

    def transitions(self, states: dict[str, m.AnyState], at: str, start_at: str | None) -> None:
        """Every Next / Default / Catch target exists, every state is reachable, one state ends the machine."""
        f = self.f
        terminal = False
        reachable: set[str] = set()
        frontier = [start_at] if start_at in states else []
        edges: dict[str, list[tuple[str, str]]] = {}
        for name, state in states.items():
            targets: list[tuple[str, str]] = []
            if state.next is not None:
                targets.append((state.next, f"{at}/States/{name}/Next"))
            if isinstance(state, m.ChoiceState):
                for i, rule in enumerate(state.choices):
                    targets.append((rule.next, f"{at}/States/{name}/Choices[{i}]/Next"))
                if state.default is not None:
                    targets.append((state.default, f"{at}/States/{name}/Default"))
            for i, catcher in enumerate(getattr(state, "catch", ())):
                targets.append((catcher.next, f"{at}/States/{name}/Catch[{i}]/Next"))
            for target, where in targets:
                if target not in states:
                    what = where.rsplit("/", 1)[1]
                    what = "Next" if what.endswith("Next") else what
                    f.error("MISSING_TRANSITION_TARGET", f"Missing '{what}' target: {target}", where)
            edges[name] = targets
            if state.end or state.type in TERMINAL:
                terminal = True
        while frontier:
            name = frontier.pop()
            if name in reachable:
                continue
            reachable.add(name)
            frontier.extend(t for t, _ in edges.get(name, ()) if t in states)
        if start_at in states:
            for name in states:
                if name not in reachable:
                    f.error("MISSING_TRANSITION_TARGET", f'State "{name}" is not reachable.', f"{at}/States/{name}")
        if not terminal and states:
            f.error("MISSING_END_STATE", "Workflow has no terminal state", at or "/")
