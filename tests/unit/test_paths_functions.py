"""glob_match: the globs of `glob(…)`, over paths held as text."""
from __future__ import annotations

import pytest

from policylint.errors import EvaluationError
from policylint.functions.paths import glob_match, glob_to_regex


@pytest.mark.parametrize("path, glob, expected", [
    ("src/api/invoices.ts", "src/api/**", True),
    ("src/api/v1/invoices.ts", "src/api/**", True),
    ("src/apix/invoices.ts", "src/api/**", False),
    ("src/a.py", "src/**/*.py", True),
    ("src/x/y/a.py", "src/**/*.py", True),
    ("src/x/y/a.pyc", "src/**/*.py", False),
    ("a.py", "*.py", True),
    ("lib/a.py", "*.py", False),
    ("lib/a.py", "**/*.py", True),
    ("db/migrations/0001_init.sql", "**/migrations/**", True),
    ("requirements-dev.txt", "requirements*.txt", True),
    ("requirements/dev.txt", "requirements*.txt", False),
    ("file1.md", "file?.md", True),
    ("file10.md", "file?.md", False),
    ("v1.md", "v[0-9].md", True),
    ("va.md", "v[!0-9].md", True),
    ("v1.md", "v[!0-9].md", False),
    ("a+b (1).md", "a+b (1).md", True),
    ("a]b.md", "a[]]b.md", True),
    ("a[b.md", "a[b.md", True),
    ("docs/openapi/api.yaml", ["docs/openapi/*.yaml", "docs/openapi/*.json"], True),
    ("docs/openapi/api.yml", ["docs/openapi/*.yaml", "docs/openapi/*.json"], False),
    ("src\\api\\x.ts", "src/api/**", True),
    (None, "**", False),
])
def test_glob_match(path, glob, expected):
    assert glob_match(path, glob) is expected, glob_to_regex(glob if isinstance(glob, str) else glob[0])


def test_a_glob_that_is_not_text_is_an_error():
    with pytest.raises(EvaluationError, match="`glob_match` needs globs as text, found int"):
        glob_match("a", [1])


def test_glob_of_something_that_is_not_a_glob_says_so(tmp_path):
    from policylint.loaders.files import dirs, glob
    from policylint.repo import Repo

    with pytest.raises(EvaluationError, match="^a glob is text, found int in the list$"):
        glob(Repo(tmp_path), ["*.md", 3])
    with pytest.raises(EvaluationError, match="^a glob is text or a list of text, found int$"):
        dirs(Repo(tmp_path), 3)
