"""SQS: messages sent, received and deleted per second by 8 clients through a real `overcast up`, against the
bus's own publish + fetch + ack loop (8 concurrent loops on one workqueue stream, nats-py in this process),
measured in the same run. Budget: SQS at least 0.5x the bus (issue 14).

The clients are raw keep-alive HTTP/1.1 (bench/raw_http.py) speaking SQS's JSON protocol, one thread each,
so the figure is the server's, not boto3's (~1 ms of client CPU per call here).
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import threading
import time
from pathlib import Path

from bench.invoke import Overcast
from bench.raw_http import RawClient
from overcast.bus.on_demand import OnDemandBus

CLIENTS = 8
SECONDS = 5.0
BUDGET = 0.5
BODY = "x" * 256


def _bus_rate() -> float:
    """Messages per second through publish -> fetch -> ack, CLIENTS loops at once."""

    async def measure() -> float:
        with tempfile.TemporaryDirectory(prefix="overcast-bench-bus-") as tmp:
            holder = OnDemandBus(None, Path(tmp))
            bus = await holder.get()
            try:
                await bus.ensure_stream("BENCH", ["bench.>"], retention="workqueue")
                await bus.ensure_consumer(
                    "BENCH", "c", filter_subject="bench.q", ack_wait=3600, max_ack_pending=100_000
                )
                done = 0
                deadline = time.monotonic() + SECONDS

                async def loop() -> None:
                    nonlocal done
                    while time.monotonic() < deadline:
                        await bus.publish("bench.q", BODY.encode())
                        for message in await bus.fetch("BENCH", "c", batch=1):
                            await bus.ack(message.ack_subject)
                            done += 1

                started = time.monotonic()
                await asyncio.gather(*(loop() for _ in range(CLIENTS)))
                return done / (time.monotonic() - started)
            finally:
                await holder.close()

    return asyncio.run(measure())


def _request(operation: str, params: dict[str, object]) -> bytes:
    headers = {"X-Amz-Target": f"AmazonSQS.{operation}", "Content-Type": "application/x-amz-json-1.0"}
    return RawClient.request_bytes("POST", "/", json.dumps(params).encode(), headers)


def _sqs_rate(port: int, url: str) -> float:
    """Messages per second through SendMessage -> ReceiveMessage -> DeleteMessage, CLIENTS clients at once."""
    counts = [0] * CLIENTS
    deadline = time.monotonic() + SECONDS
    send = _request("SendMessage", {"QueueUrl": url, "MessageBody": BODY})
    receive = _request("ReceiveMessage", {"QueueUrl": url, "MaxNumberOfMessages": 1, "VisibilityTimeout": 60})

    def client(n: int) -> None:
        raw = RawClient("127.0.0.1", port)
        try:
            while time.monotonic() < deadline:
                status, _ = raw.send(send)
                assert status == 200, status
                status, body = raw.send(receive)
                assert status == 200, body
                for message in json.loads(body).get("Messages", []):
                    handle = {"QueueUrl": url, "ReceiptHandle": message["ReceiptHandle"]}
                    status, body = raw.send(_request("DeleteMessage", handle))
                    assert status == 200, body
                    counts[n] += 1
        finally:
            raw.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.monotonic() - started)


def run() -> None:
    print("\n== SQS ==")
    bus = _bus_rate()
    print(f"limit: bus publish+fetch+ack, {CLIENTS} loops        {bus:>10,.0f} msg/s")
    oc = Overcast()
    try:
        sqs = oc.client("sqs")
        url = sqs.create_queue(QueueName="bench")["QueueUrl"]
        _sqs_rate(oc.port, url)  # warm: the SQS part, the bus and the consumer start on first use
        sqs.purge_queue(QueueUrl=url)
        rate = _sqs_rate(oc.port, url)
    finally:
        oc.stop()
    ratio = rate / bus
    verdict = "OK" if ratio >= BUDGET else "OVER"
    print(
        f"{'SQS send+receive+delete, ' + str(CLIENTS) + ' clients':<46} {rate:>10,.0f} msg/s  = {ratio:6.2f} x limit"
        f"   budget >= {BUDGET}: {verdict}"
    )


if __name__ == "__main__":
    run()
