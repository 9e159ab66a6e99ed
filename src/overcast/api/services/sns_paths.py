"""SNS's URLs under /_overcast/sns/: the signing certificate, SubscribeURL, UnsubscribeURL and the delivery record.

Answered as SNS's own would be: the certificate as PEM, confirmations and unsubscriptions as SNS's XML
(https://docs.aws.amazon.com/sns/latest/api/API_ConfirmSubscription.html), the record as JSON.
"""

from __future__ import annotations

import json
from urllib.parse import unquote
from xml.sax.saxutils import escape

from overcast.api.protocols.http import HttpResponse
from overcast.arn import new_request_id, parse_arn
from overcast.events.topics import Sns
from overcast.events.topics.signing import CERT_NAME

XMLNS = "http://sns.amazonaws.com/doc/2010-03-31/"


def _xml(action: str, result: str) -> HttpResponse:
    body = (
        f'<{action}Response xmlns="{XMLNS}"><{action}Result>{result}</{action}Result>'
        f"<ResponseMetadata><RequestId>{new_request_id()}</RequestId></ResponseMetadata></{action}Response>"
    )
    return HttpResponse(200, [("content-type", "text/xml")], body.encode())


def _json(status: int, document: object) -> HttpResponse:
    return HttpResponse(status, [("content-type", "application/json")], json.dumps(document).encode())


async def answer(sns: Sns, rest: str) -> HttpResponse:
    kind, _, tail = rest.partition("/")
    tail = unquote(tail)
    if kind == CERT_NAME:
        return HttpResponse(200, [("content-type", "application/x-pem-file")], sns.signer.certificate())
    if kind == "confirm":
        confirmed = await sns.subscriptions.confirm_by_token(tail)
        if confirmed is None:
            return _json(404, {"error": "no subscription awaits this token"})
        return _xml("ConfirmSubscription", f"<SubscriptionArn>{escape(confirmed.arn)}</SubscriptionArn>")
    if kind == "unsubscribe":
        parsed = parse_arn(tail)
        if parsed is None or not await sns.subscriptions.remove(tail):
            return _json(404, {"error": f"no subscription {tail}"})
        return _xml("Unsubscribe", "")
    if kind == "deliveries":
        account, _, arn = tail.partition("/")
        return _json(200, {"deliveries": await sns.deliveries.recorded(account, arn or None)})
    return _json(404, {"error": f"no such SNS path: {rest}"})
