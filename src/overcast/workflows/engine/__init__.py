"""The Step Functions engine: state machines, durable Standard and in-memory Express executions, history,
timers, integrations; `build(store, clock, invoker, log_sink, service_calls)` assembles it for the composition root
(log_sink: the LogStore that executions with a LoggingConfiguration write to; service_calls: other services' APIs,
called in-process by tasks such as sqs:sendMessage)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from overcast.clock import Clock
from overcast.store import Store

if TYPE_CHECKING:  # the engine's modules are imported when it is built, not when Overcast starts
    from overcast.workflows.engine.executions import Executions
    from overcast.workflows.engine.machines import Machines
    from overcast.workflows.engine.map_runs import MapRuns
    from overcast.workflows.engine.tasks import Tasks


@dataclass(frozen=True, slots=True)
class Engine:
    """The Step Functions API's services object: what its operations call."""

    machines: Machines
    executions: Executions
    tasks: Tasks
    map_runs: MapRuns


async def build(
    store: Store, clock: Clock, invoker: Any = None, log_sink: Any = None, service_calls: Any = None
) -> Engine:
    """Migrate the tables, wire the parts together and resume RUNNING Standard executions."""
    from overcast.workflows.asl import validate_definition
    from overcast.workflows.engine.executions import Executions
    from overcast.workflows.engine.integrations import Integrations
    from overcast.workflows.engine.machines import Machines
    from overcast.workflows.engine.tasks import Tasks

    machines = Machines(store, clock, validate_definition)
    await machines.start()
    tasks = Tasks(store, clock)
    integrations = Integrations(clock, tasks, invoker)
    integrations.service_calls = service_calls
    executions = Executions(store, clock, machines, integrations, validate_definition, log_sink)
    await executions.resume()
    return Engine(machines, executions, tasks, executions.map_runs)
