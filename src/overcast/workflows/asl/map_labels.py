"""Distributed Map states by label: what DescribeStateMachine answers for `stateMachine:<name>/<label>`.

"A qualified state machine ARN can either refer to a Distributed Map state defined within a state
machine, a version ARN, or an alias ARN ... arn:partition:states:region:account-id:stateMachine:
myStateMachine/mapStateLabel", and the answer's `label` "is present only if the stateMachineArn
specified in input is a qualified state machine ARN"
(https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeStateMachine.html).
A Map state without a Label is labelled by its name, as its Map Run ARNs are (asl/fanout.py).

AWS does not document the definition it returns there: this answers the Map state's ItemProcessor (the
machine its child executions run) as the definition wrote it.
"""

from __future__ import annotations

import json
from typing import Any

from overcast.workflows.asl.model import JSONPATH
from overcast.workflows.asl.references import states


def labelled_processor(definition: str, label: str) -> str | None:
    """The ItemProcessor of the Distributed Map state labelled `label`, as JSON text; None if there is none."""
    try:
        doc = json.loads(definition)
    except ValueError:
        return None
    if not isinstance(doc, dict):
        return None
    for name, state, _ in states(doc, JSONPATH):
        if state.get("Type") == "Map" and _mode(state) == "DISTRIBUTED" and state.get("Label", name) == label:
            processor = state.get("ItemProcessor")
            return json.dumps(processor) if isinstance(processor, dict) else None
    return None


def _mode(state: dict[str, Any]) -> Any:
    processor = state.get("ItemProcessor")
    config = processor.get("ProcessorConfig") if isinstance(processor, dict) else None
    return config.get("Mode", "INLINE") if isinstance(config, dict) else "INLINE"
