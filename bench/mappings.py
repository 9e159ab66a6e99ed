"""Mappings: how soon a function starts after a message is sent to its idle queue (SQS -> event source mapping).

A warm Python function is mapped to a standard queue. Each sample sends one message whose body is the send time,
once the poller is idle again in its long poll; the handler notes its own start time at once and sends both to a
second queue, which the bench long-polls. Latency = handler start - send start (one machine, one clock). Budget
(ARCHITECTURE, "Performance budgets"): queue -> function start p50 <= 20 ms when idle.
"""

from __future__ import annotations

import json
import statistics
import time

from bench.invoke import ROLE, Overcast, _zip_files

SAMPLES = 40
HANDLER = """
import json, os, time, boto3

sqs = boto3.client("sqs")


def handler(event, context):
    started = time.time()
    sent = [float(r["body"]) for r in event["Records"]]
    sqs.send_message(QueueUrl=os.environ["SEEN"], MessageBody=json.dumps({"started": started, "sent": sent}))
"""


def run() -> None:
    print("\n== Mappings: SQS message -> function start, idle queue ==")
    oc = Overcast()
    try:
        sqs, lam = oc.client("sqs"), oc.lam
        seen = sqs.create_queue(QueueName="seen")["QueueUrl"]
        work = sqs.create_queue(QueueName="work")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=work, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        lam.create_function(
            FunctionName="consumer", Runtime="python3.12", Role=ROLE, Handler="index.handler",
            Code={"ZipFile": _zip_files({"index.py": HANDLER})}, Environment={"Variables": {"SEEN": seen}},
        )  # fmt: skip
        lam.get_waiter("function_active_v2").wait(FunctionName="consumer")
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="consumer", BatchSize=1)
        latencies = []
        for sample in range(SAMPLES + 2):  # two to warm the instance and the paths up
            time.sleep(0.05)  # the poller back in its long poll: the queue is idle when the message comes
            sqs.send_message(QueueUrl=work, MessageBody=repr(time.time()))
            got: list = []
            while not got:
                got = sqs.receive_message(QueueUrl=seen, WaitTimeSeconds=20).get("Messages", [])
            sqs.delete_message(QueueUrl=seen, ReceiptHandle=got[0]["ReceiptHandle"])
            noted = json.loads(got[0]["Body"])
            if sample >= 2:
                latencies.append((noted["started"] - noted["sent"][0]) * 1000)
        latencies.sort()
        p50, p90 = statistics.median(latencies), latencies[int(len(latencies) * 0.9)]
        print(
            f"{'queue -> function start (idle), ' + str(SAMPLES) + ' samples':<46} p50 {p50:7.2f} ms  p90 {p90:7.2f} ms"
            f"  min {latencies[0]:.2f} ms   budget p50 <= 20 ms: {'OK' if p50 <= 20 else 'OVER'}"
        )
    finally:
        oc.stop()


if __name__ == "__main__":
    run()
