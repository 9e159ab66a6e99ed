"""The order workflow's Lambda functions (one file, several handlers)."""

import random


def price_item(event, context):
    """Prices one line of an order."""
    prices = {"book": 12.5, "pen": 1.25, "lamp": 30.0}
    if event["sku"] not in prices:
        raise ValueError(f"unknown sku {event['sku']}")
    return {"sku": event["sku"], "qty": event["qty"], "amount": prices[event["sku"]] * event["qty"]}


class PaymentDeclined(Exception):
    pass


class GatewayBusy(Exception):
    pass


_calls = {"count": 0}


def charge(event, context):
    """Charges the order; the first call fails with a retryable error, as payment gateways do."""
    _calls["count"] += 1
    if _calls["count"] == 1:
        raise GatewayBusy("the payment gateway is busy, try again")
    if event["total"] > 1000:
        raise PaymentDeclined(f"card declined for {event['total']}")
    return {"charged": event["total"], "receipt": f"r-{random.randint(1000, 9999)}"}
