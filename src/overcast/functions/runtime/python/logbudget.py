"""The log budget: one invocation's output as log events no larger than AWS's, kept up to a ceiling, the rest counted.

Used on both sides of an instance: inside the Python runtime, so that a function that floods its
output neither grows its own memory nor sends more than the ceiling; and by Overcast for every
instance's pipes and frames, since it trusts no runtime. Stdlib only (see this package's __init__).

A log event's size is counted as PutLogEvents counts it, its message's UTF-8 bytes plus 26, and one
event can be no larger than a whole batch, 1,048,576 bytes
(https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html):
so a message holds at most 1,048,550 bytes. Lambda cuts a longer line into several events of that
size, in order, rather than dropping or truncating it (seen as lines cut at 2**18 - 26 bytes when
the event limit was 256 KB: https://stackoverflow.com/questions/77175643); Overcast cuts at a
character boundary, so that every piece is valid UTF-8. AWS documents no truncation marker.

Lambda sets no ceiling on an invocation's output (CloudWatch absorbs it, billed by the byte);
Overcast keeps up to `invocation_bytes` of events per invocation (counted the same way) and drops
every line after the first that does not fit, counting the lines and their bytes, as Lambda's
`platform.logsDropped` telemetry event does
(https://docs.aws.amazon.com/lambda/latest/dg/telemetry-schema-reference.html#platform-logsDropped).
"""

from __future__ import annotations

EVENT_OVERHEAD = 26
MAX_EVENT_BYTES = 1_048_576 - EVENT_OVERHEAD
# Four full PutLogEvents batches: far more than a function logs in an invocation on purpose, small
# enough that a flood costs the server and its log writer a few tens of MB at most.
INVOCATION_BYTES = 4 * 1_048_576
NEWLINE = 10

Line = tuple[int, str]  # (timestamp ms, message)


class LogBudget:
    """An invocation's log lines so far, within the limits. `take` hands them over and starts the next."""

    __slots__ = ("dropped_bytes", "dropped_lines", "event_bytes", "full", "invocation_bytes", "lines", "used")

    def __init__(self, event_bytes: int = MAX_EVENT_BYTES, invocation_bytes: int = INVOCATION_BYTES) -> None:
        self.event_bytes = max(4, event_bytes)  # room for any one UTF-8 character
        self.invocation_bytes = invocation_bytes
        self.lines: list[Line] = []
        self.used = 0  # bytes of the kept events, 26 each included
        self.full = False  # a line did not fit: every later one is dropped
        self.dropped_lines = 0
        self.dropped_bytes = 0

    def add(self, timestamp: int, text: str) -> None:
        """One line as the function wrote it (no newline): kept, cut into events, or counted as dropped."""
        if len(text) * 4 <= self.event_bytes and text.isascii():  # the common case: no encoding needed
            if not self.keep(timestamp, text, len(text)):
                self.dropped_lines += 1
            return
        data = utf8(text)
        start = 0
        while start < len(data):
            end = cut(data, start, self.event_bytes)
            if not self.keep(timestamp, data[start:end].decode(), end - start):
                self.dropped_lines += 1
                self.dropped_bytes += len(data) - end
                return
            start = end

    def keep(self, timestamp: int, text: str, size: int) -> bool:
        """Keep one event of `size` bytes if it fits (True); else count its bytes as dropped, and drop all
        that follows. The caller counts the line."""
        if self.full or self.used + size + EVENT_OVERHEAD > self.invocation_bytes:
            self.full = True
            self.dropped_bytes += size
            return False
        self.used += size + EVENT_OVERHEAD
        self.lines.append((timestamp, text))
        return True

    def note(self, timestamp: int, text: str) -> None:
        """A line of the platform's own (a timeout, a crash): kept whatever the budget, in order."""
        self.lines.append((timestamp, text))

    def drop(self, lines: int, size: int) -> None:
        """Count lines not kept (here, or already inside the instance)."""
        self.dropped_lines += lines
        self.dropped_bytes += size

    def take(self) -> tuple[list[Line], int, int]:
        """The lines kept, how many lines were dropped and their bytes; the budget starts afresh."""
        taken = self.lines, self.dropped_lines, self.dropped_bytes
        self.lines, self.used, self.full, self.dropped_lines, self.dropped_bytes = [], 0, False, 0, 0
        return taken


def utf8(text: str) -> bytes:
    """The text's UTF-8 bytes; a lone surrogate (which json and os.fsdecode let through) becomes '?'."""
    try:
        return text.encode()
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace")


def cut(data: bytes | bytearray, start: int, size: int) -> int:
    """Where a piece of at most `size` bytes from `start` ends without splitting a UTF-8 character."""
    end = start + size
    if end >= len(data):
        return len(data)
    while end > start + 1 and data[end] & 0xC0 == 0x80:  # a continuation byte: the character starts earlier
        end -= 1
    return end


class PipeLines:
    """Output read in chunks (an instance's stdout or stderr), into a budget: complete lines as they come,
    and a line longer than an event cut as soon as an event's worth of it is in, so that no more than
    that is ever held. Once the budget is full, chunks are only counted."""

    __slots__ = ("budget", "open", "partial")

    def __init__(self, budget: LogBudget) -> None:
        self.budget = budget
        self.partial = bytearray()  # the line in progress, while the budget has room
        self.open = False  # the line in progress has bytes (kept in `partial`, or dropped)

    def feed(self, chunk: bytes, timestamp: int) -> None:
        if not chunk:
            return
        budget = self.budget
        if budget.full:
            self._count(chunk)
            return
        partial = self.partial
        partial += chunk
        start = 0
        while (end := partial.find(NEWLINE, start)) >= 0:
            if budget.full:
                budget.drop(1, end - start)
            else:
                budget.add(timestamp, partial[start:end].decode("utf-8", "replace"))
            start = end + 1
        del partial[:start]
        while len(partial) > budget.event_bytes and not budget.full:  # a long line: its first events now
            end = cut(partial, 0, budget.event_bytes)
            budget.keep(timestamp, partial[:end].decode("utf-8", "replace"), end)
            del partial[:end]
        if budget.full and partial:
            budget.drop(0, len(partial))
            partial.clear()
        self.open = bool(partial) or (budget.full and not chunk.endswith(b"\n"))

    def _count(self, chunk: bytes) -> None:
        """Drop a chunk: each newline ends a line (the one in progress first)."""
        ends = chunk.count(NEWLINE)
        self.budget.drop(ends, len(chunk) - ends)
        self.open = not chunk.endswith(b"\n") if ends else True

    def close(self, timestamp: int) -> None:
        """The output ended: its unfinished last line is a line too."""
        if self.partial:
            self.budget.add(timestamp, self.partial.decode("utf-8", "replace"))
        elif self.open:
            self.budget.drop(1, 0)
        self.partial.clear()
        self.open = False
