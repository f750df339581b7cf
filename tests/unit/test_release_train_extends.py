"""`--pack release-train` extends speckit's lifecycle: on the sample repository each spec is a
subject once, and the stage it has earned is no further than speckit's alone gives it (the
added gates can only hold a spec back)."""
from __future__ import annotations

import json
from pathlib import Path

from conftest import ROOT, check

SAMPLE = ROOT / "fixtures" / "speckit-demo"


def _subjects(capsys, pack: str) -> list:
    code, out, err = check(capsys, "--root", str(SAMPLE), "--pack", pack, "-f", "json")
    assert code in (0, 1), err
    return json.loads(out)["subjects"]


def test_each_spec_once_and_no_further_than_speckit(capsys):
    alone = {s["id"]: s for s in _subjects(capsys, "speckit")}
    extended = _subjects(capsys, "release-train")
    ids = [s["id"] for s in extended]
    assert sorted(ids) == sorted(alone) and len(ids) == len(set(ids))
    assert {s["lifecycle"] for s in extended} == {"speckit.spec"}
    from policylint.packs import PackLoader

    lifecycle = next(i for i in PackLoader(use_cache=False).load("speckit").ast.items if hasattr(i, "stages"))
    rank = {None: -1, **{stage.name: i for i, stage in enumerate(lifecycle.stages)}}
    for subject in extended:
        before = alone[subject["id"]]
        assert rank[subject["earned"]] <= rank[before["earned"]], subject["id"]
        assert subject["claimed"] == before["claimed"], subject["id"]
