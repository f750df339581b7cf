"""`found`, the yes/no regex match the language uses, agrees with RE2's own search."""
from __future__ import annotations

import pytest

from policylint.regex import RegexError, RegexValue, compile_regex, found

PATTERNS = [r"^spec-\d{3}-", r"(?i)needs clarification", r"\[NEEDS CLARIFICATION:", r"é+$", r"^$", r"x*",
            r"\bT\d{3}\b", r"(?m)^## ", r"[^\x00-\x7f]", r"🙂", r"(?s)a.b", r"\p{Greek}+"]
TEXTS = ["spec-001-login", "", "Needs Clarification", "- [NEEDS CLARIFICATION: which?]", "café", "caféé\n",
         "T001 write it", "intro\n## Section", "naïve", "smile 🙂 here", "a\nb", "αβγ", "x" * 1000]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_found_agrees_with_search(pattern):
    compiled = compile_regex(pattern)
    for text in TEXTS:
        assert found(pattern, text) == (compiled.search(text) is not None), (pattern, text)
        assert found(RegexValue(pattern), text) == found(compiled, text)


def test_flags_of_a_regex_literal_count():
    assert found(RegexValue("^SPEC", "i"), "spec-001") and not found(RegexValue("^SPEC"), "spec-001")


def test_an_invalid_pattern_is_a_regex_error():
    with pytest.raises(RegexError, match="missing \\)"):
        found("(unclosed", "text")


def test_a_regex_literal_takes_the_direct_path(monkeypatch):
    value = RegexValue(r"\d+")
    monkeypatch.setattr(type(value.compiled), "search", lambda *a, **k: pytest.fail("took the slow path"))
    assert found(value, "T001") and not found(value, "none")


LINES = ["# Title", "", "- [NEEDS CLARIFICATION: which?]", "spec-001-login", "café", "T001 write it", "## Section",
         "naïve 🙂", "x" * 300, "needs clarification"]


@pytest.mark.parametrize("pattern", PATTERNS + [r"^", r"$", r"\b", r"(?i)^SPEC"])
def test_line_candidates_hold_every_matching_line(pattern):
    from policylint.regex import line_candidates

    candidates = line_candidates(RegexValue(pattern), LINES)
    if candidates is None:
        return  # the pattern's form does not allow the joined search: every line is tested
    assert candidates == sorted(set(candidates))
    assert {i for i, text in enumerate(LINES) if found(pattern, text)} <= set(candidates), pattern


def test_line_candidates_of_equal_texts_in_a_new_list_and_of_changed_texts():
    """The joined text of a list is kept for the next regex: a list of the same texts finds it,
    a list with one text changed (same length, same first and last) does not."""
    from policylint.regex import line_candidates

    lines = list(LINES)
    assert line_candidates(r"^T\d+", lines) == [5]
    assert line_candidates(r"^T\d+", list(lines)) == [5]
    changed = list(lines)
    changed[5] = "nothing here"
    changed[6] = "T002 and more"
    assert line_candidates(r"^T\d+", changed) == [6]


def test_no_line_candidates_for_a_whole_text_pattern_or_a_text_with_a_newline():
    from policylint.regex import line_candidates

    assert line_candidates(r"\Aspec", LINES) is None
    assert line_candidates(r"x", ["a\nb", "c"]) is None
    assert line_candidates(r"x", []) is None


LITERAL_PATTERNS = [r"\[NEEDS CLARIFICATION:", r"^Primary User Story", r"(?i)user story", r"(?i)^dependencies",
                    r"TODO", r"", r"^", r"\.\*\[x\]", r"a b", r"(?i)ſtop", r"é", r"(?i)straße"]
LITERAL_TEXTS = TEXTS + ["User Story 1", "USER STORY", "ſtop here", "STOP", "Dependencies & Order", "x DEPENDENCIES",
                         "Primary User Story", " Primary User Story", ".*[x]", "a b", "a  b", "STRASSE", "straße",
                         "Kelvin K user ſtory"]


@pytest.mark.parametrize("pattern", LITERAL_PATTERNS)
def test_a_literal_pattern_is_tested_as_re2_tests_it(pattern):
    """A pattern that is a text to find (after `^`, with `(?i)`) is tested with str methods."""
    compiled = compile_regex(pattern)
    for text in LITERAL_TEXTS:
        expected = compiled.search(text) is not None
        assert found(pattern, text) == expected, (pattern, text)
        assert found(RegexValue(pattern), text) == expected, (pattern, text)


def test_a_pattern_is_built_as_re2_compile_builds_it_or_by_re2_compile():
    """regex._made builds RE2's pattern object without the binding's Python layer: the same
    object, the same answers and errors; a binding whose pattern object holds more than the two
    fields it sets gets re2.compile's own."""
    import types

    import re2

    from policylint import regex

    made = regex._made(re2, "(?i)ab+c")
    assert type(made) is type(re2.compile("x")) and made.pattern == "(?i)ab+c"
    assert made.search("xxABBCx").group(0) == "ABBC" and made.search("ac") is None
    with pytest.raises(re2.error):
        regex._made(re2, "(")

    class Larger:
        __slots__ = ("_pattern", "_regexp", "_groups")

    other = types.SimpleNamespace(_Regexp=Larger, _re2=re2._re2, compile=lambda source, options: ("compiled", source))
    assert regex._made(other, "a+") == ("compiled", "a+")
