"""The record of finished deliveries keeps an account's newest ones only, so it cannot grow without bound."""

from __future__ import annotations

from typing import Any

from overcast.bus.on_demand import OnDemandBus
from overcast.clock import FakeClock
from overcast.events.topics import deliveries as module
from overcast.events.topics.deliveries import Deliveries
from overcast.events.topics.schema import STEPS
from overcast.store import Store


def _email(n: int, account: str) -> dict[str, Any]:
    return {
        "id": f"{account}-{n}", "account": account, "region": "us-east-1", "topic_arn": "arn:aws:sns:t",
        "subscription_arn": "arn:aws:sns:t:s", "protocol": "email", "endpoint": "a@example.com",
        "message_id": str(n), "kind": "notification", "message": f"m{n}",
    }  # fmt: skip


async def test_an_account_keeps_its_newest_deliveries_and_no_more(sqlite_store: Store, tmp_path: Any) -> None:
    await sqlite_store.migrate("sns", STEPS)
    clock = FakeClock()
    kept = Deliveries(OnDemandBus(None, tmp_path / "nats"), sqlite_store, clock, None, "http://x", None)  # type: ignore[arg-type]
    written = module.KEPT_RECORDS + 3 * module.PRUNE_EVERY
    for n in range(written):
        await clock.advance(1)
        await kept.record(_email(n, "111111111111"), "delivered", "", 1)
    await kept.record(_email(0, "222222222222"), "delivered", "", 1)  # another account's are its own
    shown = await kept.recorded("111111111111", None)
    assert len(shown) == module.KEPT_RECORDS
    assert [row["message_id"] for row in shown[-2:]] == [str(written - 2), str(written - 1)]  # the newest, in order
    rows = await sqlite_store.fetch_all("SELECT account FROM sns_deliveries")
    assert sum(row["account"] == "111111111111" for row in rows) <= module.KEPT_RECORDS + module.PRUNE_EVERY
    assert len(await kept.recorded("222222222222", None)) == 1
