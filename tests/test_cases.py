"""Every case under tests/cases/loaders/ and every policy case of tests/cases/language/ and
tests/cases/errors/, through the one runner (tests/caserunner.py documents both formats).

`pytest tests/test_cases.py -k junit/` runs one loader's cases, `-k operators-` one topic's,
`-k PL201` the cases of one error code.
"""
from __future__ import annotations

import pytest

from caserunner import loader_cases, policy_params, run_loader_case, run_policy_case


@pytest.mark.parametrize("case", loader_cases(), ids=str)
def test_loader_case(case):
    run_loader_case(case)


@pytest.mark.parametrize("case", policy_params("language/*.yaml", "errors/*.yaml"))
def test_policy_case(case, tmp_path, monkeypatch):
    run_policy_case(case, tmp_path, monkeypatch)
