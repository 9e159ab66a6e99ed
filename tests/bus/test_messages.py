"""Pure parts of the bus records: JetStream timestamps and ack subjects."""

from __future__ import annotations

import pytest

from overcast.bus.messages import format_time, nak_payload, parse_ack_subject, parse_time_ns


@pytest.mark.parametrize(
    ("text", "nanos"),
    [
        ("2026-01-01T00:00:00Z", 1_767_225_600_000_000_000),
        ("2026-01-01T00:00:00.5Z", 1_767_225_600_500_000_000),
        ("2026-01-01T00:00:00.333181082Z", 1_767_225_600_333_181_082),
        ("2026-01-01T01:00:00.000000001+01:00", 1_767_225_600_000_000_001),
    ],
)
def test_parse_time_ns(text: str, nanos: int) -> None:
    assert parse_time_ns(text) == nanos


def test_format_time_floors_to_the_microsecond() -> None:
    assert format_time(1_767_225_600.0) == "2026-01-01T00:00:00.000000Z"
    assert format_time(1_767_225_600.1234567) == "2026-01-01T00:00:00.123456Z"


def test_parse_ack_subject_with_and_without_domain() -> None:
    plain = parse_ack_subject("$JS.ACK.ORDERS.worker.2.15.7.1795732490829936206.3")
    assert plain == {
        "stream": "ORDERS",
        "consumer": "worker",
        "num_delivered": 2,
        "sequence": 15,
        "consumer_sequence": 7,
        "time_ns": 1795732490829936206,
        "num_pending": 3,
    }
    with_domain = parse_ack_subject("$JS.ACK.hub.ACCHASH.ORDERS.worker.2.15.7.1795732490829936206.3.token")
    assert with_domain == plain
    with pytest.raises(ValueError):
        parse_ack_subject("_INBOX.abc")


def test_nak_payload() -> None:
    assert nak_payload(0) == b"-NAK"
    assert nak_payload(1.5) == b'-NAK {"delay": 1500000000}'
