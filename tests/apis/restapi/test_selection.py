"""Selection patterns: Java regexes, checked as Java checks them and matched against the whole text."""

from __future__ import annotations

import pytest

from overcast.apis.restapi.selection import check, matches, translate
from overcast.errors import BadRequest


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        ("", "", True),
        ("5\\d{2}", "503", True),
        ("5\\d{2}", "5030", False),  # the whole text, as Java's Pattern.matches
        ("5\\d{2}", "5\u0663\u0663", False),  # Java's \d is ASCII; Python's would take Arabic-Indic digits
        (".*Not Found.*", "Item Not Found: 7", True),
        (".+", "line one\nline two", False),  # '.' stops at a new line (AWS warns about it)
        ("\\QA.B\\E", "A.B", True),
        ("\\QA.B\\E", "AxB", False),
        ("(?<d>\\d)\\k<d>", "77", True),
        ("\\p{Alpha}+-\\p{Digit}", "abc-1", True),
        ("[\\p{Upper}_]+", "AB_C", True),
        ("\\P{Digit}+", "abc", True),
        ("(?i)not found", "NOT FOUND", True),
        ("a(?i)b|c", "aB", True),
        ("a(?i)b|c", "C", True),  # the flag runs to the end, across the alternation
        ("a(?i)b|c", "Ab", False),
        ("(?i:x)y", "XY", False),
        ("(?x) 4 \\d \\d  # client errors", "404", True),
        ("\\x{41}\\u0042\\0103\\cI", "ABC\t", True),
        ("error\\z", "error", True),
        ("error\\Z", "error", True),
        ("error\\Z", "error\n", False),  # matches() must consume the final line terminator too
        ("a*+b", "aab", True),
        ("(?>a|ab)c", "abc", False),  # atomic group, as Java's
        ("[]a]+", "]a", True),
        ("x{2,}", "xxx", True),
    ],
)
def test_java_patterns_match_as_java_matches_them(pattern: str, text: str, expected: bool) -> None:
    check(pattern)
    assert matches(pattern, text) is expected


@pytest.mark.parametrize(
    "pattern",
    [
        "(",
        "a)",
        "[a-z",
        "*a",
        "a{,3}",  # Python reads {0,3}; Java refuses
        "a{x}",  # Python reads a literal; Java refuses
        "(?P<n>a)",  # Python's named group
        "(?P=n)",
        "(?#comment)",
        "\\y",
        "\\U0001F600",  # Python's 8-digit escape
        "\\p{Nonsense}",
        "\\x{110000}",
        "a\\",
        "5\\d{2",
    ],
)
def test_what_java_refuses_is_an_invalid_selection_pattern(pattern: str) -> None:
    with pytest.raises(BadRequest) as refused:
        check(pattern)
    assert refused.value.message == f"Invalid selection pattern specified: {pattern}"
    assert matches(pattern, "500") is False  # and never raises when it meets one


@pytest.mark.parametrize(
    ("pattern", "what"),
    [
        ("[a-z&&[^e]]", "an intersection of character classes"),
        ("[a-d[m-p]]", "a union of character classes"),
        ("(?<=a+)b", "look-behind requires fixed-width pattern"),
        ("\\Gx", "\\G"),
    ],
)
def test_java_syntax_python_cannot_run_is_refused_as_not_supported_yet(pattern: str, what: str) -> None:
    with pytest.raises(BadRequest) as refused:
        check(pattern)
    assert refused.value.message == f"Overcast does not support {what} in selection patterns yet: {pattern}"


def test_translation_keeps_what_both_spell_alike() -> None:
    assert translate("4\\d\\d|5\\d{2}") == ("4\\d\\d|5\\d{2}", False)
    assert translate("(?U)\\w+") == ("(?:\\w+)", True)  # UNICODE_CHARACTER_CLASS: compiled without re.ASCII
