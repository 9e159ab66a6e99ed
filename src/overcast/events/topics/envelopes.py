"""What a delivery carries, by protocol: the SNS JSON envelope, the raw message, the Lambda event.

The envelope's fields and their order are AWS's (https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html
and /work/shared/conformance/events/snsSqsEvent.json): Type, MessageId, [SequenceNumber,] [Token,] TopicArn,
[Subject,] Message, [SubscribeURL,] Timestamp, SignatureVersion, Signature, SigningCertURL, UnsubscribeURL,
[MessageAttributes]. SQS bodies are that JSON indented with "key" : "value", as SNS writes it. A FIFO topic's
envelope is not signed (snsSqsFifoEvent.json).
"""

from __future__ import annotations

import base64
import datetime
import json
from collections.abc import Mapping
from typing import Any

from overcast.events.topics.signing import CERT_NAME, Signer

RawAttributes = dict[str, tuple[str, str | bytes]]  # name -> (DataType, value), as filter policies read them
MessageAttributes = Mapping[str, Mapping[str, str]]  # name -> {"DataType", "StringValue" | "BinaryValue" (base64)}


def timestamp(epoch: float) -> str:
    """AWS's 2019-01-02T12:45:07.000Z."""
    moment = datetime.datetime.fromtimestamp(epoch, datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def envelope_attributes(attributes: MessageAttributes) -> dict[str, dict[str, str]]:
    """The envelope's MessageAttributes: {"Type": ..., "Value": ...} (binary values base64, as SNS sends them)."""
    return {
        name: {"Type": a["DataType"], "Value": a.get("StringValue", a.get("BinaryValue", ""))}
        for name, a in attributes.items()
    }


def notification(d: Mapping[str, Any], signer: Signer, base_url: str, *, lambda_names: bool = False) -> dict[str, Any]:
    """The Notification envelope of delivery `d` (a bus record written by publishing.py)."""
    message: dict[str, Any] = {"Type": "Notification", "MessageId": d["message_id"]}
    if d.get("sequence_number"):
        message["SequenceNumber"] = d["sequence_number"]
    message["TopicArn"] = d["topic_arn"]
    if d.get("subject") is not None:
        message["Subject"] = d["subject"]
    message["Message"] = d["message"]
    message["Timestamp"] = timestamp(d["time"])
    if not d.get("fifo"):
        version = d.get("signature_version") or "1"
        message["SignatureVersion"] = version
        message["Signature"] = signer.sign(message, version)
        message["SigningCertURL"] = signing_cert_url(base_url)
    message["UnsubscribeURL"] = unsubscribe_url(base_url, d["subscription_arn"])
    if d.get("attributes"):
        message["MessageAttributes"] = envelope_attributes(d["attributes"])
    if lambda_names:  # the Lambda event spells two of them in its own way (snsEvent.json)
        message["SigningCertUrl"] = message.pop("SigningCertURL", None)
        message["UnsubscribeUrl"] = message.pop("UnsubscribeURL")
        message.setdefault("Subject", None)
        message.setdefault("MessageAttributes", {})
    return message


def confirmation(d: Mapping[str, Any], signer: Signer, base_url: str) -> dict[str, Any]:
    """The SubscriptionConfirmation an http/https endpoint gets when it is subscribed."""
    topic = d["topic_arn"]
    message: dict[str, Any] = {
        "Type": "SubscriptionConfirmation",
        "MessageId": d["message_id"],
        "Token": d["token"],
        "TopicArn": topic,
        "Message": f"You have chosen to subscribe to the topic {topic}.\n"
        "To confirm the subscription, visit the SubscribeURL included in this message.",
        "SubscribeURL": subscribe_url(base_url, d["token"]),
        "Timestamp": timestamp(d["time"]),
    }
    version = d.get("signature_version") or "1"
    message["SignatureVersion"] = version
    message["Signature"] = signer.sign(message, version)
    message["SigningCertURL"] = signing_cert_url(base_url)
    return message


def sqs_body(envelope: Mapping[str, Any]) -> str:
    """The envelope as SNS writes it into an SQS message body (snsSqsEvent.json)."""
    return json.dumps(envelope, indent=2, separators=(",", " : "), ensure_ascii=False)


def lambda_event(d: Mapping[str, Any], signer: Signer, base_url: str) -> dict[str, Any]:
    """The event a subscribed function gets (snsEvent.json)."""
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": d["subscription_arn"],
                "Sns": notification(d, signer, base_url, lambda_names=True),
            }
        ]
    }


def raw_attributes(attributes: MessageAttributes) -> RawAttributes:
    """Attributes as the filter policies read them: name -> (DataType, value)."""
    out: RawAttributes = {}
    for name, a in attributes.items():
        if "BinaryValue" in a:
            out[name] = (a["DataType"], base64.b64decode(a["BinaryValue"]))
        else:
            out[name] = (a["DataType"], a.get("StringValue", ""))
    return out


def signing_cert_url(base_url: str) -> str:
    return f"{base_url}/_overcast/sns/{CERT_NAME}"


def subscribe_url(base_url: str, token: str) -> str:
    return f"{base_url}/_overcast/sns/confirm/{token}"


def unsubscribe_url(base_url: str, subscription_arn: str) -> str:
    return f"{base_url}/_overcast/sns/unsubscribe/{subscription_arn}"
