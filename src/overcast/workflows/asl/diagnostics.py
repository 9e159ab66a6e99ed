"""What is wrong with a definition: AWS's diagnostics, the InvalidDefinition error, and their collector.

AWS reports every problem as `CODE: message at /json/pointer`, joined by ", " inside
`Invalid State Machine Definition: '...'`; ValidateStateMachineDefinition returns the same
findings as diagnostics (severity, code, message, location).
https://docs.aws.amazon.com/step-functions/latest/apireference/API_ValidateStateMachineDefinitionDiagnostic.html
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from overcast.errors import AwsError


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding, as ValidateStateMachineDefinition reports it."""

    code: str
    message: str
    location: str = "/"
    severity: Literal["ERROR", "WARNING"] = "ERROR"

    def __str__(self) -> str:
        return f"{self.code}: {self.message} at {self.location}"


class InvalidDefinition(AwsError):
    code, status = "InvalidDefinition", 400

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        text = ", ".join(str(d) for d in diagnostics)
        super().__init__(f"Invalid State Machine Definition: '{text}'")


class Findings:
    """The diagnostics of one definition, in the order the parse meets them (AWS's order)."""

    __slots__ = ("diagnostics",)

    def __init__(self) -> None:
        self.diagnostics: list[Diagnostic] = []

    def error(self, code: str, message: str, location: str) -> None:
        self.diagnostics.append(Diagnostic(code, message, location or "/"))

    def schema(self, message: str, location: str) -> None:
        self.error("SCHEMA_VALIDATION_FAILED", message, location)

    def has_errors(self) -> bool:
        return any(d.severity == "ERROR" for d in self.diagnostics)
