"""Shared by the wire-layer tests: a terminal summary of what the property tests covered."""

from __future__ import annotations

from collections import Counter
from typing import Any


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """How many operations and protocol variants test_parse_roundtrip checked, and how many it refused."""
    covered: Counter[str] = Counter()
    refused: Counter[str] = Counter()
    variants: set[tuple[str, str]] = set()
    for outcome in ("passed", "failed"):
        for report in terminalreporter.stats.get(outcome, []):
            nodeid = getattr(report, "nodeid", "")
            if "test_parse_roundtrip.py::" not in nodeid or "[" not in nodeid:
                continue
            variant = nodeid.split("[", 1)[1].rstrip("]").rsplit("-", 1)[0]  # operation names have no dash
            service, protocol = variant.split("-", 1)
            if "::test_every_rest_xml_request_is_refused" in nodeid:
                refused[f"{service} ({protocol})"] += 1
            else:
                covered[f"{service} ({protocol})"] += 1
                variants.add((service, protocol))
    write = terminalreporter.write_line
    if covered:
        write(
            f"parse round trip: {sum(covered.values())} operation variants over {len(variants)} service/protocol pairs"
        )
        write("  " + ", ".join(f"{name}: {count}" for name, count in sorted(covered.items())))
    for name, count in sorted(refused.items()):
        write(f"  {name}: {count} operations refused with NotImplemented (rest-xml is not implemented yet)")

    outputs = errors = 0
    pairs = 0
    event_streams: list[str] = []
    for report in terminalreporter.stats.get("passed", []):
        properties = dict(getattr(report, "user_properties", []))
        if "serialized_operations" in properties:
            pairs += 1
            outputs += int(properties["serialized_operations"])
            event_streams += list(properties.get("serialize_skipped", []))
        errors += int(properties.get("serialized_errors", 0))
    if pairs:
        write(
            f"serialize round trip: {outputs} operation outputs and {errors} modeled errors over {pairs}"
            " service/protocol pairs (rest-xml errors: NotImplemented only); event-stream outputs left out: "
            + ", ".join(sorted(set(event_streams)))
        )
