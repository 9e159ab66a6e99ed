"""Lambda's price arithmetic against AWS's published figures (https://aws.amazon.com/lambda/pricing/)."""

from __future__ import annotations

import pytest

from overcast.billing.pricing import DEFAULT_PRICES, PriceTable, duration_cost, gb_seconds, monthly_bill, request_cost


def test_gb_seconds() -> None:
    assert gb_seconds(1024, 1000) == 1.0
    assert gb_seconds(128, 13) == pytest.approx(0.001625)
    assert gb_seconds(1536, 120) == pytest.approx(0.18)


def test_mobile_backend_example_x86_and_arm64() -> None:
    # 3M requests a month, 120 ms each at 1536 MB: 540,000 GB-s -> $9.00 (x86) or $7.20 (arm64),
    # plus 3M x $0.20/M = $0.60 (the pricing page's example leaves the free tier out).
    gb_s = 3_000_000 * gb_seconds(1536, 120)
    assert gb_s == pytest.approx(540_000)
    assert round(duration_cost(gb_s, "x86_64"), 2) == 9.00
    assert round(duration_cost(gb_s, "arm64"), 2) == 7.20
    assert request_cost(3_000_000) == pytest.approx(0.60)
    no_free = PriceTable(free_requests=0, free_gb_seconds=0)
    assert round(monthly_bill(3_000_000, {"x86_64": gb_s}, no_free).net, 2) == 9.60
    assert round(monthly_bill(3_000_000, {"arm64": gb_s}, no_free).net, 2) == 7.80


def test_free_tier_example() -> None:
    # 512 MB, 3M invocations of 1 s: 1,500,000 GB-s - 400,000 free = 1,100,000 x $0.0000166667 = $18.33;
    # 3M - 1M free requests = 2M x $0.20/M = $0.40; total $18.73.
    bill = monthly_bill(3_000_000, {"x86_64": 3_000_000 * gb_seconds(512, 1000)})
    assert round(bill.net, 2) == 18.73
    assert round(bill.gross, 2) == pytest.approx(25.60)  # 1.5M GB-s x $0.0000166667 + $0.60
    assert monthly_bill(10, {"x86_64": 5.0}).net == 0.0


def test_free_gb_seconds_are_shared_between_architectures_in_proportion() -> None:
    bill = monthly_bill(0, {"x86_64": 300_000, "arm64": 300_000})
    expected = 100_000 * 0.0000166667 + 100_000 * 0.0000133334  # 200,000 GB-s left over, half each
    assert bill.net == pytest.approx(expected)


def test_duration_tiers() -> None:
    assert duration_cost(7e9, "x86_64") == pytest.approx(6e9 * 0.0000166667 + 1e9 * 0.000015)
    assert duration_cost(16e9, "x86_64") == pytest.approx(6e9 * 0.0000166667 + 9e9 * 0.000015 + 1e9 * 0.0000133334)
    assert duration_cost(8e9, "arm64") == pytest.approx(7.5e9 * 0.0000133334 + 0.5e9 * 0.0000120001)
    assert duration_cost(0, "x86_64") == 0


def test_price_table_from_settings() -> None:
    table = PriceTable.from_mapping(
        {"request_price_per_million": 0.25, "free_requests": 0, "gb_second_prices": {"x86_64": 0.00001}}
    )
    assert table.tiers("x86_64")[0].price == 0.00001 and table.tiers("arm64") == DEFAULT_PRICES.tiers("arm64")
    assert monthly_bill(1_000_000, {"x86_64": 1e10}, table).gross == pytest.approx(0.25 + 1e5)
    assert table.tiers("unknown-arch") == table.tiers("x86_64")
