"""The log budget: lines cut into events no larger than AWS's, kept up to a ceiling per invocation, the rest counted."""

from __future__ import annotations

from overcast.functions.runtime.python.logbudget import EVENT_OVERHEAD, MAX_EVENT_BYTES, LogBudget, PipeLines


def sizes(lines: list[tuple[int, str]]) -> list[int]:
    return [len(text.encode()) for _, text in lines]


def test_an_event_holds_at_most_what_put_log_events_takes_in_one_batch() -> None:
    assert MAX_EVENT_BYTES + EVENT_OVERHEAD == 1_048_576
    budget = LogBudget(invocation_bytes=10 * 1_048_576)
    budget.add(1, "a" * (2 * MAX_EVENT_BYTES + 5))
    lines, dropped, _ = budget.take()
    assert sizes(lines) == [MAX_EVENT_BYTES, MAX_EVENT_BYTES, 5] and dropped == 0
    assert all(ts == 1 for ts, _ in lines)


def test_a_long_line_is_cut_at_character_boundaries_in_order() -> None:
    budget = LogBudget(event_bytes=10, invocation_bytes=10_000)
    text = "é" * 12 + "€" * 3  # 2-byte and 3-byte characters
    budget.add(0, text)
    lines, _, _ = budget.take()
    assert "".join(message for _, message in lines) == text
    assert sizes(lines) == [10, 10, 10, 3]  # "éé€€" is 10 bytes; the last € would split


def test_past_the_ceiling_every_line_is_dropped_and_counted() -> None:
    budget = LogBudget(event_bytes=100, invocation_bytes=3 * (10 + EVENT_OVERHEAD))
    for n in range(5):
        budget.add(n, f"line {n:5d}")  # 10 bytes each
    budget.add(9, "")  # a short line after the first drop is dropped too: the log has no holes
    lines, dropped_lines, dropped_bytes = budget.take()
    assert [text for _, text in lines] == ["line     0", "line     1", "line     2"]
    assert (dropped_lines, dropped_bytes) == (3, 20)
    budget.add(10, "next invocation")
    assert budget.take() == ([(10, "next invocation")], 0, 0)


def test_platform_lines_are_kept_whatever_the_budget() -> None:
    budget = LogBudget(event_bytes=100, invocation_bytes=50)
    budget.add(1, "x" * 20)
    budget.add(2, "y" * 20)
    budget.note(3, "Task timed out after 1.00 seconds")
    lines, dropped_lines, _ = budget.take()
    assert [text[:4] for _, text in lines] == ["xxxx", "Task"] and dropped_lines == 1


def test_a_lone_surrogate_is_stored_as_a_question_mark() -> None:
    budget = LogBudget()
    budget.add(0, "bad \ud800 text")
    assert budget.take()[0] == [(0, "bad ? text")]


def test_pipe_lines_are_assembled_across_chunks_and_long_lines_cut_before_their_end() -> None:
    budget = LogBudget(event_bytes=8, invocation_bytes=1000)
    pipe = PipeLines(budget)
    pipe.feed(b"ab", 1)
    pipe.feed(b"c\nde", 2)
    assert budget.lines == [(2, "abc")]
    pipe.feed(b"f" * 20, 3)  # no newline yet: the line's first events are in, the rest waits
    assert [text for _, text in budget.lines] == ["abc", "deffffff", "ffffffff"] and len(pipe.partial) == 6
    pipe.feed(b"\n\xc3", 4)  # half a character, then the output ends
    pipe.close(5)
    assert [text for _, text in budget.take()[0]] == ["abc", "deffffff", "ffffffff", "ffffff", "\ufffd"]


def test_a_full_pipe_is_counted_not_held() -> None:
    budget = LogBudget(event_bytes=8, invocation_bytes=2 * (8 + EVENT_OVERHEAD))
    pipe = PipeLines(budget)
    pipe.feed(b"x" * 30, 1)  # two events fit, the third does not: the rest of the line is dropped
    assert not pipe.partial and budget.full
    pipe.feed(b"xx\nline\nunfinished", 2)
    pipe.close(3)
    lines, dropped_lines, dropped_bytes = budget.take()
    assert sizes(lines) == [8, 8]
    assert dropped_lines == 3  # the long line, "line" and "unfinished"
    assert dropped_bytes == 14 + 2 + 4 + 10
