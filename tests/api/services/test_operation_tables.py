"""Every operation table, as the composition root assembles it, names only operations of its botocore model.

The tables come from `overcast.server.start` (the same call `overcast up` makes; conftest.py), so a service added
there is checked here without a line of this module changing. A key that is not one of the model's
operations could never be called (the edge finds operations through the model) and hides a typo or
a wrong service. Run with `-s` to see how many of each model's operations are implemented.
"""

from __future__ import annotations

import pytest

from overcast.api.protocols.models import SERVICES, load_service
from overcast.api.services import OperationTable


async def test_every_table_belongs_to_a_service_overcast_answers(tables: dict[str, OperationTable]) -> None:
    assert tables, "the composition root assembled no operation table"
    unknown = sorted(set(tables) - set(SERVICES))
    assert not unknown, f"operation tables for services not in models.SERVICES (so never checked below): {unknown}"


@pytest.mark.parametrize("service", SERVICES)
async def test_every_key_is_an_operation_of_the_model(service: str, tables: dict[str, OperationTable]) -> None:
    table = tables.get(service, {})
    operations = set(load_service(service).operation_names)
    unknown = sorted(set(table) - operations)
    assert not unknown, f"{service}: not operations of botocore's {service} model: {unknown}"
    not_handlers = sorted(name for name, handler in table.items() if not callable(handler))
    assert not not_handlers, f"{service}: table entries that are not handlers: {not_handlers}"
    print(f"{service}: {len(table)} of {len(operations)} operations implemented")
