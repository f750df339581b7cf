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
