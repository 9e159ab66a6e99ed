"""Bus: Overcast's connection to NATS, and the JetStream and core operations services build on.

Confirmed publishes go on a second, lean connection of their own (publisher.py: one socket write, the ack
read in the protocol's callback), where the server speaks plain NATS; everything else goes through nats-py.

Streams store messages durably (queues, Kinesis streams, async invocations, event delivery);
durable pull consumers (consumers.py, a part of Bus) deliver them with acks and redelivery; direct
gets read them by sequence or arrival time; KV buckets hold small shared state; core request/reply
carries node-to-node calls. Every nats-py exception is translated to an AwsError here (see `overcast.bus.errors`).

Streams created here always allow direct gets (`read`, `get`): they answer from any replica in
one round trip, which is what Kinesis-style polling needs. Every stream and KV bucket created here
has a max_bytes (the connection's `stream_max_bytes` unless the caller asks for another), and a
full stream refuses new messages unless told to discard old ones: a ceiling reached is an error
the producer sees, never acknowledged messages silently dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Literal

import nats
import nats.errors
import nats.js.api as api
import nats.js.errors
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription as NatsSubscription

from overcast.bus.consumers import PullConsumers
from overcast.bus.credentials import Credentials, shown
from overcast.bus.errors import RemoteError, translated
from overcast.bus.kv import KeyValue
from overcast.bus.messages import (
    BusHealth,
    Envelope,
    Reply,
    StoredMessage,
    StreamState,
    format_time,
    stored,
    stream_state,
)
from overcast.bus.publisher import Address, Publisher, Unsupported
from overcast.errors import AwsError, InternalFailure, InvalidParameterValue, ResourceNotFound, ServiceUnavailable

log = logging.getLogger(__name__)

Retention = Literal["limits", "workqueue", "interest"]
Storage = Literal["file", "memory"]
Handler = Callable[[Envelope], Awaitable["Reply | bytes | None"]]

MSG_ID = "Nats-Msg-Id"
ERROR_CODE = "Overcast-Error-Code"  # headers carrying an AwsError back over request/reply
ERROR_STATUS = "Overcast-Error-Status"
ERROR_FIELDS = "Overcast-Error-Fields"  # JSON of AwsError.fields, when there are any


class Subscription:
    """A core subscription whose handler runs concurrently for each message."""

    def __init__(self, subject: str) -> None:
        self.subject = subject
        self._sub: NatsSubscription | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def close(self) -> None:
        """Stop receiving; wait for handlers already running."""
        if self._sub is not None:
            sub, self._sub = self._sub, None
            with contextlib.suppress(nats.errors.Error):
                await sub.unsubscribe()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


class Bus(PullConsumers):
    """A connection to NATS with JetStream. Create with `await Bus.connect(url)`."""

    def __init__(
        self,
        client: Client,
        timeout: float,
        stream_max_bytes: int | None = None,
        message_stream_bytes: int | None = None,
    ) -> None:
        self._nc = client
        self._js = client.jetstream(timeout=timeout)
        self._timeout = timeout
        self._stream_max_bytes = stream_max_bytes
        # max_bytes for a stream of accepted work (SQS messages, async events, SNS deliveries); None: the default
        self.message_stream_bytes = message_stream_bytes if message_stream_bytes is not None else stream_max_bytes
        self._kvs: dict[str, KeyValue] = {}
        self.reconnects = 0
        self.last_error: str | None = None
        self._lean = Publisher(self._address, timeout)  # confirmed publishes (bus/publisher.py)

    @classmethod
    async def connect(
        cls,
        url: str,
        *,
        name: str = "overcast",
        timeout: float = 5.0,
        credentials: Credentials | None = None,
        stream_max_bytes: int | None = None,
        message_stream_bytes: int | None = None,
    ) -> Bus:
        """Connect (retrying for up to `timeout` seconds); afterwards reconnect forever on loss.

        `credentials`: the embedded server's; without them, those `url` carries (`nats://user:password@host`
        or `nats://token@host`) are used. `stream_max_bytes`: the max_bytes of every stream and KV
        bucket created without one (None: unlimited, where the server allows it); `message_stream_bytes`
        that of each stream of accepted work (`Bus.message_stream_bytes`).
        """
        where = shown(url)  # for messages and logs, which must not carry a password
        bus: Bus | None = None
        last: list[BaseException] = []  # the latest error while connecting

        async def on_error(exc: Exception) -> None:
            if bus is not None:
                bus.last_error = f"{type(exc).__name__}: {exc}"
            elif last and _refused(last[-1]):
                return  # the reason stays the refusal, not the reset of the connection the server then closes
            last[:] = [exc]
            if bus is None and _refused(exc):
                raise exc  # while connecting, nats-py lets this out of connect(): wrong credentials stay wrong

        async def on_disconnect() -> None:
            if bus is not None and not client.is_closed:
                log.warning("lost the connection to NATS at %s; reconnecting", where)

        async def on_reconnect() -> None:
            if bus is not None:
                bus.reconnects += 1
                log.warning("reconnected to NATS at %s", where)

        client = Client()
        try:
            await asyncio.wait_for(
                client.connect(
                    url,
                    name=name,
                    error_cb=on_error,
                    disconnected_cb=on_disconnect,
                    reconnected_cb=on_reconnect,
                    connect_timeout=max(1, int(timeout)),
                    reconnect_time_wait=0.25,  # type: ignore[arg-type]  # seconds, float accepted
                    max_reconnect_attempts=-1,
                    user=credentials.user if credentials else None,
                    password=credentials.password if credentials else None,
                ),
                timeout,
            )
        except (TimeoutError, OSError, nats.errors.Error) as exc:
            with contextlib.suppress(Exception):
                await client.close()
            cause = last[-1] if last else exc
            raise ServiceUnavailable(f"cannot connect to NATS at {where}: {type(cause).__name__}: {cause}") from exc
        bus = cls(client, timeout, stream_max_bytes, message_stream_bytes)
        return bus

    async def close(self) -> None:
        """Finish pending work (drain subscriptions, flush publishes), then disconnect."""
        self._lean.close()
        if self._nc.is_closed:
            return
        try:
            await asyncio.wait_for(self._nc.drain(), self._timeout)
        except (TimeoutError, nats.errors.Error):
            pass
        finally:
            if not self._nc.is_closed:
                await self._nc.close()

    @property
    def connected(self) -> bool:
        return bool(self._nc.is_connected)

    @property
    def max_payload(self) -> int:
        return int(self._nc.max_payload)

    async def health(self) -> BusHealth:
        """Connection state, server version and JetStream usage; never raises."""
        info = self._nc._server_info or {}
        url = self._nc.connected_url
        account: api.AccountInfo | None = None
        rtt: float | None = None
        if self.connected:
            with contextlib.suppress(Exception):
                rtt = await self._nc.rtt(timeout=int(max(1, self._timeout))) * 1000
                account = await self._js.account_info()
        return BusHealth(
            connected=self.connected,
            url=url.geturl() if url else None,
            server_version=info.get("version"),
            server_name=info.get("server_name"),
            reconnects=self.reconnects,
            last_error=self.last_error,
            jetstream=account is not None,
            storage_bytes=account.storage if account else None,
            memory_bytes=account.memory if account else None,
            streams=account.streams if account else None,
            consumers=account.consumers if account else None,
            rtt_ms=rtt,
        )

    # --- core NATS: not persisted, for node-to-node calls and notifications ---

    async def send(self, subject: str, data: bytes = b"", headers: Mapping[str, str] | None = None) -> None:
        """Fire and forget (core NATS: delivered to whoever listens now, not stored)."""
        with translated(f"sending to {subject}"):
            await self._nc.publish(subject, data, headers=dict(headers) if headers else None)

    async def request(
        self, subject: str, data: bytes = b"", *, headers: Mapping[str, str] | None = None, timeout: float = 5.0
    ) -> Reply:
        """Send and wait for one Reply. An AwsError raised by the remote handler is raised here as a
        RemoteError with the same code, status, message and fields."""
        with translated(f"request to {subject}"):
            msg = await self._nc.request(subject, data, timeout=timeout, headers=dict(headers) if headers else None)
        reply_headers = dict(msg.headers or {})
        code = reply_headers.get(ERROR_CODE)
        if code:
            status = int(reply_headers.get(ERROR_STATUS, "500"))
            fields = json.loads(reply_headers.get(ERROR_FIELDS, "{}"))
            raise RemoteError(msg.data.decode(errors="replace"), code=code, status=status, fields=fields)
        return Reply(bytes(msg.data), reply_headers)

    async def subscribe(self, subject: str, handler: Handler, *, queue: str = "") -> Subscription:
        """Run `handler` for each message on `subject` (wildcards allowed), concurrently.

        With `queue`, each message goes to one member of the queue group (load balancing across
        nodes). If the sender waits for a reply, the handler's return value is sent back; an
        AwsError it raises reaches the requester as the same error.
        """
        subscription = Subscription(subject)

        async def respond(msg: Msg) -> None:
            envelope = Envelope(msg.subject, bytes(msg.data), dict(msg.headers or {}), msg.reply or "")
            try:
                result = await handler(envelope)
                headers: dict[str, str] | None = None
                if isinstance(result, Reply):
                    data, headers = result.data, dict(result.headers) or None
                else:
                    data = result or b""
            except Exception as exc:  # a handler's failure must reach the requester, not kill us
                error = exc if isinstance(exc, AwsError) else InternalFailure(f"{type(exc).__name__}: {exc}")
                if not isinstance(exc, AwsError):
                    log.exception("bus handler for %s failed", subject)
                data = error.message.encode()
                headers = {ERROR_CODE: error.code, ERROR_STATUS: str(error.status)}
                if error.fields:
                    headers[ERROR_FIELDS] = json.dumps(error.fields, default=str)
            if msg.reply:
                with contextlib.suppress(nats.errors.Error):
                    await self._nc.publish(msg.reply, data, headers=headers)

        async def dispatch(msg: Msg) -> None:
            task = asyncio.create_task(respond(msg))
            subscription._tasks.add(task)
            task.add_done_callback(subscription._tasks.discard)

        with translated(f"subscribing to {subject}"):
            subscription._sub = await self._nc.subscribe(subject, queue=queue, cb=dispatch)
        return subscription

    # --- JetStream streams ---

    async def ensure_stream(
        self,
        name: str,
        subjects: Sequence[str],
        *,
        retention: Retention = "limits",
        storage: Storage = "file",
        max_age: float | None = None,
        max_msgs: int | None = None,
        max_bytes: int | None = None,
        max_msg_size: int | None = None,
        max_msgs_per_subject: int | None = None,
        duplicate_window: float | None = None,
        discard: Literal["old", "new"] = "new",
        replicas: int = 1,
    ) -> StreamState:
        """Create the stream, or update it if its configuration differs. Idempotent.

        max_age and duplicate_window are seconds; None leaves the server's default (no age limit;
        a 2-minute de-duplication window). max_bytes None is the connection's `stream_max_bytes`.
        discard: what a stream at its max_msgs or max_bytes does with one more message: "new"
        refuses it (the publish fails), "old" drops the oldest. Retention and storage cannot
        change after creation.
        """
        config = api.StreamConfig(
            name=name,
            subjects=list(subjects),
            retention=api.RetentionPolicy(retention),
            storage=api.StorageType(storage),
            max_age=max_age,
            max_msgs=max_msgs,
            max_bytes=max_bytes if max_bytes is not None else self._stream_max_bytes,
            max_msg_size=max_msg_size,
            max_msgs_per_subject=-1 if max_msgs_per_subject is None else max_msgs_per_subject,
            duplicate_window=duplicate_window or 0,
            discard=api.DiscardPolicy(discard),
            num_replicas=replicas,
            allow_direct=True,
        )
        with translated(f"creating stream {name}"):
            try:
                info = await self._js.add_stream(config)
            except nats.js.errors.BadRequestError as exc:
                if exc.err_code != 10058:  # exists with a different configuration
                    raise
                info = await self._js.update_stream(config)
        return stream_state(info)

    async def stream_state(self, name: str) -> StreamState:
        with translated(f"reading stream {name}"):
            return stream_state(await self._js.stream_info(name))

    async def delete_stream(self, name: str) -> bool:
        """Delete the stream and its consumers; False if it did not exist."""
        with translated(f"deleting stream {name}"):
            try:
                return bool(await self._js.delete_stream(name))
            except nats.js.errors.NotFoundError:
                return False

    async def purge_stream(self, name: str, subject: str | None = None) -> None:
        """Remove every message (only those on `subject`, when given)."""
        with translated(f"purging stream {name}"):
            await self._js.purge_stream(name, subject=subject)

    async def publish(
        self,
        subject: str,
        data: bytes,
        headers: Mapping[str, str] | None = None,
        msg_id: str | None = None,
        *,
        timeout: float | None = None,
    ) -> int:
        """Store a message; return its stream sequence once the server has it on disk.

        With `msg_id`, a second publish of the same id within the stream's duplicate window stores
        nothing and returns the first one's sequence.
        """
        all_headers = dict(headers or {})
        if msg_id is not None:
            all_headers[MSG_ID] = msg_id
        connection = await self._lean.connection()
        if connection is not None:
            return await self._lean.publish(connection, subject, data, all_headers, timeout or self._timeout)
        with translated(f"publishing to {subject}"):
            ack = await self._js.publish(subject, data, timeout=timeout or self._timeout, headers=all_headers or None)
        return int(ack.seq)

    def _address(self) -> Address | None:
        """Where nats-py is connected and how it signed in, for the lean publisher (bus/publisher.py); None when
        it is not connected."""
        url = self._nc.connected_url
        if url is None or url.hostname is None:
            return None
        if url.scheme not in ("nats", ""):  # tls:// and websockets: nats-py publishes
            raise Unsupported(f"a {url.scheme} URL")
        options = self._nc.options
        user, password, token = options["user"], options["password"], options["token"]
        if user is None and token is None and url.username is not None:  # nats://user:password@ or nats://token@
            user, password, token = (url.username, url.password, None) if url.password else (None, None, url.username)
        if not all(isinstance(x, str | None) for x in (user, password, token)):  # callables: nats-py publishes
            raise Unsupported("credentials given as callables")
        return Address(url.hostname, url.port or 4222, user, password, token)

    async def get(self, stream: str, sequence: int) -> StoredMessage | None:
        """The message at `sequence`, or None if there is none (never stored, deleted, expired)."""
        messages = await self.read(stream, start_sequence=sequence, limit=1)
        return messages[0] if messages and messages[0].sequence == sequence else None

    async def delete_message(self, stream: str, sequence: int) -> bool:
        """Remove one message; False if it was not there."""
        with translated(f"deleting message {sequence} from stream {stream}"):
            try:
                return bool(await self._js.delete_msg(stream, sequence))
            except nats.js.errors.NotFoundError:
                return False

    async def read(
        self,
        stream: str,
        *,
        start_sequence: int | None = None,
        start_time: float | None = None,
        subject: str | None = None,
        limit: int = 100,
        max_bytes: int | None = None,
    ) -> list[StoredMessage]:
        """Up to `limit` stored messages in sequence order, from `start_sequence` (default 1) or
        from the first stored at or after `start_time` (epoch seconds), optionally only those on
        `subject` (wildcards allowed). Empty when there are none yet. Stateless: no consumer.
        """
        if limit < 1:
            raise InvalidParameterValue(f"limit must be at least 1, got {limit}")
        request: dict[str, Any] = {"batch": limit}
        if start_time is not None:
            request["start_time"] = format_time(start_time)
        else:
            request["seq"] = max(1, start_sequence or 1)
        if subject:
            request["next_by_subj"] = subject
        if max_bytes:
            request["max_bytes"] = max_bytes
        messages, status = await self._exchange(f"$JS.API.DIRECT.GET.{stream}", request, limit, wait=0.0)
        if status == "503":
            raise ResourceNotFound(f"stream {stream} does not exist")
        if status not in ("", "204", "404"):  # 204: end of batch; 404: nothing (more) there
            raise InternalFailure(f"reading stream {stream}: status {status}")
        return [stored(stream, msg) for msg in messages]

    # --- KV buckets ---

    async def kv(self, bucket: str, *, history: int = 1, ttl: float | None = None) -> KeyValue:
        """The KV bucket, created (file storage) if it does not exist."""
        if bucket not in self._kvs:
            with translated(f"opening bucket {bucket}"):
                try:
                    handle = await self._js.key_value(bucket)
                except nats.js.errors.BucketNotFoundError:
                    handle = await self._js.create_key_value(
                        bucket=bucket,
                        history=history,
                        ttl=ttl,
                        storage=api.StorageType.FILE,
                        direct=True,
                        max_bytes=self._stream_max_bytes,
                    )
            self._kvs[bucket] = KeyValue(bucket, handle, self._js)
        return self._kvs[bucket]


def _refused(exc: BaseException) -> bool:
    """The server turned our credentials down (nats-py reports that as a plain Error while connecting)."""
    return isinstance(exc, nats.errors.AuthorizationError) or "authorization violation" in str(exc).lower()
