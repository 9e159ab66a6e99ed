"""FIFO queues' sending rules: message groups, deduplication ids (given or the body's SHA-256) remembered in the
store for 5 minutes on the injected clock, and sequence numbers.
https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/using-messagededuplicationid-property.html
"""

from __future__ import annotations

import hashlib
import re

from overcast.events.queues.errors import InvalidParameterValue, MissingParameter
from overcast.events.queues.records import Queue, SentMessage
from overcast.store import Queries

WINDOW = 300.0  # the deduplication interval: 5 minutes
_TOKEN = re.compile(r"^[!-~]{1,128}$")  # alphanumerics and punctuation, 1-128 characters


def deduplication_key(queue: Queue, body: str, group_id: str | None, deduplication_id: str | None) -> tuple[str, str]:
    """(the message's deduplication id, the key it is remembered by) after AWS's checks of both ids."""
    if group_id is None:
        raise MissingParameter("The request must contain the parameter MessageGroupId.")
    if not _TOKEN.match(group_id):
        raise InvalidParameterValue(
            f"Value {group_id} for parameter MessageGroupId is invalid. Reason: Invalid group id."
        )
    if deduplication_id is None:
        if queue.attributes.get("ContentBasedDeduplication") != "true":
            raise InvalidParameterValue(
                "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided "
                "explicitly"
            )
        deduplication_id = hashlib.sha256(body.encode()).hexdigest()
    elif not _TOKEN.match(deduplication_id):
        raise InvalidParameterValue(
            f"Value {deduplication_id} for parameter MessageDeduplicationId is invalid. "
            "Reason: Invalid deduplication id."
        )
    scoped = queue.attributes.get("DeduplicationScope") == "messageGroup"
    return deduplication_id, (f"{group_id}\n{deduplication_id}" if scoped else deduplication_id)


def sequence_number(stream_sequence: int) -> str:
    """AWS's are large, increasing and not consecutive; the stream's sequence is increasing per queue."""
    return f"{18_000_000_000_000_000_000 + stream_sequence:d}"


async def earlier(q: Queries, queue: Queue, key: str, now: float) -> SentMessage | None:
    """What a send with this deduplication key was answered within the window, if one was."""
    row = await q.fetch_one(
        "SELECT answer FROM sqs_deduplication WHERE queue_id = ? AND dedup_key = ? AND expires > ?", queue.id, key, now
    )
    if row is None:
        return None
    message_id, body_md5, attributes_md5, sequence = row["answer"].split("\n")
    return SentMessage(message_id, body_md5, attributes_md5 or None, sequence)


async def remember(q: Queries, queue: Queue, key: str, sent: SentMessage, now: float) -> None:
    answer = "\n".join(
        [sent.message_id, sent.md5_of_body, sent.md5_of_message_attributes or "", sent.sequence_number or ""]
    )
    await q.execute_batch(
        [
            ("DELETE FROM sqs_deduplication WHERE queue_id = ? AND expires <= ?", (queue.id, now)),
            (
                "INSERT INTO sqs_deduplication (queue_id, dedup_key, answer, expires) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (queue_id, dedup_key) DO UPDATE SET answer = excluded.answer, expires = excluded.expires",
                (queue.id, key, answer, now + WINDOW),
            ),
        ]
    )


async def forget(q: Queries, queue: Queue) -> None:
    await q.execute("DELETE FROM sqs_deduplication WHERE queue_id = ?", queue.id)
