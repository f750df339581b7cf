"""Regexes run through RE2: linear time, so a hostile pattern or input cannot hang a run."""
from __future__ import annotations

from functools import lru_cache, partial

from .patterns import lazy

FLAG_PREFIX = {"i": "i", "m": "m", "s": "s", "U": "U"}


class RegexError(ValueError):
    pass


@lru_cache(maxsize=512)
def _compile(pattern: str, flags: str):
    import re2

    prefix = "".join(FLAG_PREFIX[f] for f in flags if f in FLAG_PREFIX)
    source = f"(?{prefix}){pattern}" if prefix else pattern
    try:
        return _made(re2, source)
    except re2.error as exc:
        message = exc.args[0] if exc.args else exc
        if isinstance(message, bytes):
            message = message.decode("utf-8", "replace")
        raise RegexError(str(message)) from None


@lru_cache(maxsize=None)
def _options():
    """The options every pattern is compiled with (RE2 copies them into each pattern)."""
    import re2

    options = re2.Options()
    options.log_errors = False
    return options


_REGEXP_SLOTS = ("_pattern", "_regexp")  # all a pattern object of google-re2 1.1 (and since) holds


def _made(re2, source: str):
    """`re2.compile(source, _options())`: the same pattern object, built as its `__init__`
    builds it, without the binding's Python layer around it (options copied field by field
    into a new Options and an LRU cache, for every pattern: ~40% of what compiling a pack's
    regexes costs a run); `re2.compile` itself for a binding made otherwise."""
    regexp_class, engine_class = getattr(re2, "_Regexp", None), getattr(getattr(re2, "_re2", None), "RE2", None)
    if regexp_class is None or engine_class is None or getattr(regexp_class, "__slots__", ()) != _REGEXP_SLOTS:
        return re2.compile(source, _options())  # a binding whose pattern holds more than we would set
    engine = engine_class(source.encode("utf-8"), _options())
    if not engine.ok():
        raise re2.error(engine.error())
    regexp = regexp_class.__new__(regexp_class)
    regexp._pattern, regexp._regexp = source, engine
    return regexp


def compile_regex(pattern, flags: str = ""):
    """A compiled RE2 pattern from a regex value or a string."""
    if hasattr(pattern, "search"):
        return pattern
    return _compile(str(pattern), flags)


class RegexValue:
    """A regex literal at run time: compiled once, when first used (a run that checks one
    subject reaches some of a pack's regexes only, and may import no RE2 at all), shown as
    `/pattern/flags`; `test(text)` is `found(self, text)` without the look-ups. The checker has
    compiled the pattern once already, so a literal's RegexError is said before any run."""

    __slots__ = ("pattern", "flags", "compiled", "test")

    def __init__(self, pattern: str, flags: str = ""):
        self.pattern, self.flags = pattern, flags

    def __getattr__(self, name: str):
        """`compiled` or `test` before the first use: both made now, slots from then on."""
        if name not in ("compiled", "test"):
            raise AttributeError(name)
        self.compiled = _compile(self.pattern, self.flags)
        self.test = _tester(self.compiled)
        return getattr(self, name)

    def search(self, text: str):
        return self.compiled.search(text)

    def __str__(self) -> str:
        return f"/{self.pattern}/{self.flags}"


def found(regex, text: str) -> bool:
    """Whether `regex` (a regex value, a pattern string or a compiled RE2) matches somewhere in
    `text`. The yes/no that `matches` needs, asked of RE2 directly: the binding's `search`
    builds a match object and maps byte offsets back to characters on every call, which is
    most of the time a pack spends matching."""
    if type(regex) is RegexValue:
        return regex.test(text)
    if isinstance(regex, str):
        return _string_tester(str(regex))(text)
    compiled = compile_regex(regex)
    return _tester(getattr(compiled, "compiled", compiled))(text)  # a regex literal holds its compiled RE2


def _tester(compiled):
    """`text -> bool` for a compiled RE2: whether it matches somewhere in the text."""
    search = compiled.search
    engine = getattr(compiled, "_regexp", None)
    anchor = _unanchored()
    if engine is None or anchor is None:
        return lambda text: search(text) is not None
    match = engine.Match

    def test(text: str) -> bool:
        data = text.encode("utf-8", "surrogatepass")
        try:
            return match(anchor, data, 0, len(data))[0][0] != -1
        except (TypeError, AttributeError, IndexError):  # a binding whose extension differs
            return search(text) is not None

    literal = _literal_tester(getattr(compiled, "pattern", None), test)
    return test if literal is None else literal


_METACHARACTERS = frozenset("\\.+*?()|[]{}^$")


def _literal_tester(pattern, slow):
    """For a pattern that is a text to find as written (escaped punctuation allowed), after a
    `^` or not, with `(?i)` or not (ASCII letters only), the test of `str` methods that gives
    RE2's answers without encoding the text (most of what a test costs); else None. `slow` is
    RE2's, for a text with other letters than ASCII's when case is ignored."""
    if type(pattern) is not str:
        return None
    ignore_case = pattern.startswith("(?i)")
    if ignore_case:
        pattern = pattern[4:]
    anchored = pattern.startswith("^")
    if anchored:
        pattern = pattern[1:]
    chars = []
    escaped = False
    for c in pattern:
        if escaped:
            if not c.isascii() or c.isalnum() or not c.isprintable():
                return None  # `\d`, `\b`, `\n`, …: no literal
            chars.append(c)
            escaped = False
        elif c == "\\":
            escaped = True
        elif c in _METACHARACTERS or "\ud800" <= c <= "\udfff":
            return None
        else:
            chars.append(c)
    if escaped:
        return None
    literal = "".join(chars)
    if not ignore_case:
        return partial(_starts_with, literal) if anchored else partial(_contains, literal)
    if not literal.isascii():
        return None  # RE2 folds other letters too (`ſ` is an `s`): only ASCII is folded here
    lowered = literal.lower()

    def test(text: str) -> bool:
        if not text.isascii():
            return slow(text)
        return text.lower().startswith(lowered) if anchored else lowered in text.lower()

    return test


def _starts_with(literal: str, text: str) -> bool:
    return text.startswith(literal)


def _contains(literal: str, text: str) -> bool:
    return literal in text


@lru_cache(maxsize=512)
def _string_tester(pattern: str):
    return _tester(_compile(pattern, ""))


# What a pattern cannot mean the same in a whole text as in one line: the text's own start
# and end (`\A`, `\z`) and a flag turned off (`(?-m)`); matched on the pattern's source,
# so a `\\A` (a backslash, then A) is refused too, which only costs the shortcut.
_WHOLE_TEXT_ONLY = lazy(r"\\[Az]|\(\?[A-Za-z]*-")


def line_candidates(regex, texts: list) -> list | None:
    r"""Indexes of the `texts` (lines without a newline) in which `regex` may match, in order:
    every one it matches is among them. One search over the lines joined by newlines, in
    multiline mode, instead of one search per line: a match in a line is a match in the
    joined text at the same place (`^`, `$` and `\b` see a newline where the line ends), so
    a line left out cannot match; one listed may not (a match may run across lines). None
    when the regex's form does not allow this (`\A`, `\z`, a flag turned off) or a text
    holds a newline."""
    if type(regex) is RegexValue:
        engine = _multiline(regex.pattern, regex.flags)
    elif isinstance(regex, str):
        engine = _multiline(str(regex), "")
    else:
        return None
    if engine is None:
        return None
    data = _joined(texts)
    if data is None:
        return None
    match, size, count, find, anchor = engine.Match, len(data), data.count, data.find, _unanchored()
    out = []
    line = start = 0  # the line searched from, and where it starts
    try:
        while True:
            at = match(anchor, data, start, size)[0][0]
            if at == -1:
                return out
            line += count(b"\n", start, at)
            out.append(line)
            end = find(b"\n", at)
            if end == -1:
                return out
            line, start = line + 1, end + 1
    except (TypeError, AttributeError, IndexError):  # a binding whose extension differs
        return None


@lru_cache(maxsize=512)
def _multiline(pattern: str, flags: str):
    """The RE2 engine that searches lines joined by newlines for `pattern` (compiled in multiline
    mode), or None when the pattern's form or the binding does not allow it (line_candidates)."""
    if _WHOLE_TEXT_ONLY.search(pattern):
        return None
    try:
        compiled = _compile(pattern, flags if "m" in flags else flags + "m")
    except RegexError:
        return None
    if _unanchored() is None:
        return None
    return getattr(compiled, "_regexp", None)


# The lines of a document are searched by several gates' regexes in a row (spec.md's by six):
# each list of texts is joined and encoded once. Found again by its length and first and last
# texts (kept alive here, so no other object takes their ids), then compared whole: equal texts
# join the same; at most this many kept, forgotten all at once.
_JOINED: dict = {}
MAX_JOINED_KEPT = 16


def _joined(texts: list) -> bytes | None:
    """The texts joined by newlines, as UTF-8; None when one holds a newline (or is no text)."""
    key = (len(texts), id(texts[0]), id(texts[-1])) if texts else None
    kept = _JOINED.get(key)
    if kept is not None and kept[0] == texts:
        return kept[1]
    try:
        data = "\n".join(texts).encode("utf-8", "surrogatepass")
    except TypeError:
        return None
    if data.count(b"\n") != len(texts) - 1:
        data = None
    if len(_JOINED) >= MAX_JOINED_KEPT:
        _JOINED.clear()
    _JOINED[key] = (list(texts), data)
    return data


@lru_cache(maxsize=None)
def _unanchored():
    """RE2's unanchored mode from google-re2's extension, or None for another binding."""
    try:
        from re2 import _re2

        return _re2.RE2.Anchor.UNANCHORED
    except (ImportError, AttributeError):
        return None
