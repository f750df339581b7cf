"""The `conventional-commits` pack: its gates both ways, and agreement with commitlint.

The pack's gates are shown both ways by its case folders (rules/conventional-commits/tests/,
histories replayed from `git:` in expected.yaml); the tests here need messages stored byte
for byte (`git commit-tree`, no cleanup) and hundreds of them: each builds a throwaway
repository in tmp_path (a `base` tag, then one commit per message) and runs
`policylint check --pack conventional-commits --base base -f json`.

The agreement test runs the real commitlint (npm @commitlint/cli and
@commitlint/config-conventional 20.5, installed with npm into
~/.cache/policylint-tools/commitlint-20.5, or POLICYLINT_TOOLS_DIR) over every message of
tests/cases/conventional-commits/real-messages.json (real commit messages, see the README
beside it) and of CONSTRUCTED below (written here, to reach each rule both ways), and
requires the same verdict per message: commitlint finds an error (its exit status 1) exactly
when an error gate of the pack names that commit; and the same findings: the rules commitlint
reports (errors and warnings) are the gates that name the commit. It skips, saying so, only where npm is
missing. CI needs npm and network once.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACK = "conventional-commits"
COMMITLINT_VERSION = "20.5"
REAL_MESSAGES = ROOT / "tests" / "cases" / "conventional-commits" / "real-messages.json"
GATES = ["type-empty", "type-enum", "type-case", "subject-empty", "subject-case", "subject-full-stop",
         "header-max-length", "header-trim", "line-length", "body-leading-blank", "footer-leading-blank"]
WARNINGS = {"body-leading-blank", "footer-leading-blank"}

# Constructed messages (not from a repository): each commitlint rule and ignore, both ways.
LONG = "x" * 95
CONSTRUCTED = [
    "feat: add the login form",
    "fix(parser): handle empty input",
    "feat!: drop node 14",
    "feat(api)!: remove the v1 endpoints",
    "refactor(core,cli): split the loader",
    "perf: cache the parsed grammar",
    "docs: mention `Eslint` in the guide",
    "style: format with prettier",
    "test: cover the CSV reader",
    "build: bump lark",
    "ci: run on python 3.13",
    "chore: release",
    "revert: feat: add the login form",
    "feature: add the login form",
    "Feat: add the login form",
    "FIX: crash on start",
    "wip: half done",
    "update the readme",
    ": no type here",
    "feat:",
    "feat: ",
    "feat:no space",
    "feat: Add the login form",
    "fix: API keys are masked",
    "fix: iOS keyboard overlaps",
    "fix: 2FA codes expire",
    "fix: `Foo` is renamed",
    "docs: \u00c9t\u00e9 in the changelog",
    "docs: \u00e9t\u00e9 in the changelog",
    "fix: handle the edge case.",
    "fix: and then...",
    "fix: wait.",
    " feat: leading space",
    "feat: trailing space ",
    "feat: " + LONG,
    "feat: " + LONG[:94],
    "feat: body follows\n\n" + "y" * 101,
    "feat: body follows\n\n" + "y" * 100,
    "feat: url line\n\nsee https://example.com/" + "z" * 120,
    "feat: indented line\n\n    " + "q" * 97,
    "feat: tab-indented line\n\n\t" + "t" * 100,
    "feat: tab-indented line\n\n\t" + "t" * 99,
    "feat: no blank line\nbody right after the header",
    "feat: breaking\n\nsome body\nBREAKING CHANGE: the API changed",
    "feat: breaking\n\nsome body\n\nBREAKING CHANGE: the API changed",
    "fix: refs\n\nsome body\n\nCloses #12\nSigned-off-by: A <a@example.com>",
    "Merge branch 'main' into feature/x",
    "Merge pull request #12 from a/b",
    "Merge remote-tracking branch 'origin/main'",
    "Merge tag 'v1.2.0'",
    "Revert \"feat: add the login form\"\n\nThis reverts commit abc.",
    "revert something",
    "Reapply \"feat: x\"",
    "fixup! feat: add the login form",
    "squash! feat: add",
    "amend! feat: add",
    "v1.2.3",
    "1.2.3-beta.1",
    "chore(release): 2.0.0",
    "chore: v1.0.0 [skip ci]",
    "Automatic merge from main",
    "Auto-merged main into dev",
    "Merged in feature (pull request #3)",
    "Initial commit",
    "fix: x\nCloses #12",
    "fix: x\n\nbody line\nRefs #3 and more",
    "fix: x\n\nsee https://example.com/page#frag for why\nmore body",
    "feat: x\n\nbody\nbreaking change: lower-case note",
    "feat: x\n\nsee issue #12 for why\n\nmore",
    "feat: add x\n\nMerge branch 'other'",
]


# -- repositories -------------------------------------------------------------------------

def _git_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update({"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
                "GIT_AUTHOR_NAME": "A", "GIT_AUTHOR_EMAIL": "a@example.com",
                "GIT_COMMITTER_NAME": "A", "GIT_COMMITTER_EMAIL": "a@example.com",
                "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z"})
    return env


def _git(repo: Path, *args, stdin: str | None = None) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], input=stdin, capture_output=True, text=True,
                          env=_git_env(), check=True)
    return done.stdout


def make_repo(folder: Path, messages: list) -> list:
    """A repository with a `base` tag and one commit per message after it; their full shas."""
    folder.mkdir(parents=True, exist_ok=True)
    _git(folder, "init", "-q", "-b", "main")
    (folder / "README.md").write_text("x\n")
    _git(folder, "add", "README.md")
    _git(folder, "commit", "-q", "-m", "chore: base")
    _git(folder, "tag", "base")
    tree = _git(folder, "rev-parse", "HEAD^{tree}").strip()
    head = _git(folder, "rev-parse", "HEAD").strip()
    shas = []
    for message in messages:
        head = _git(folder, "commit-tree", tree, "-p", head, "-F", "-", stdin=message).strip()
        shas.append(head)
    _git(folder, "update-ref", "refs/heads/main", head)
    return shas


def policylint_check(repo: Path, *extra) -> tuple:
    """(exit code, JSON report) of `policylint check --pack conventional-commits`."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([os.sys.executable, "-m", "policylint", "check", "--root", str(repo), "--pack", PACK,
                           *extra, "-f", "json"], capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    try:
        return done.returncode, json.loads(done.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"policylint gave no JSON (exit {done.returncode}):\n{done.stdout}\n{done.stderr}", pytrace=False)


def results(report: dict) -> dict:
    """short gate name -> result."""
    return {r["gate"].split(".", 1)[1]: r for r in report["results"]}


def run(tmp_path: Path, messages: list) -> tuple:
    repo = tmp_path / "repo"
    shas = make_repo(repo, messages)
    shorts = [_git(repo, "rev-parse", "--short", sha).strip() for sha in shas]
    code, report = policylint_check(repo, "--base", "base")
    return code, results(report), shorts


# -- each gate both ways ------------------------------------------------------------------

def test_conforming_commits_pass_every_gate(tmp_path):
    code, got, _ = run(tmp_path, [
        "feat(api)!: remove the v1 endpoints\n\nThe v1 API is gone.\n\nBREAKING CHANGE: use /v2",
        "fix: handle `Foo` and more...",
        "docs: link the guide\n\nhttps://example.com/" + "a" * 120,
    ])
    assert {name: r["status"] for name, r in got.items()} == {name: "pass" for name in GATES}
    assert code == 0


FAILING = [
    ("type-empty", "update the readme", "{}: header `update the readme` has no type: write `type(scope): subject`"),
    ("type-enum", "feature: add login",
     "{}: type `feature` is not one of build, chore, ci, docs, feat, fix, perf, refactor, revert, style, test"),
    ("type-case", "FIX: crash on start", "{}: type `FIX` is not lower case"),
    ("subject-empty", "feat:", "{}: header `feat:` has no subject"),
    ("subject-case", "feat: Add the login form", "{}: subject `Add the login form` starts with a capital letter"),
    ("subject-full-stop", "fix: handle the edge case.", "{}: header `fix: handle the edge case.` ends with a full stop"),
    ("header-max-length", "feat: " + "x" * 95, "{}: header is 101 characters, more than 100"),
    ("header-trim", "feat: trailing space ", "{}: header `feat: trailing space ` starts or ends with white space"),
    ("line-length", "feat: body\n\n    " + "q" * 97, "{}: a line of the message is 101 characters, more than 100: "
                                                      "    " + "q" * 97),
    ("body-leading-blank", "feat: no blank\nbody right after", "{}: no blank line between the header and the body"),
    ("footer-leading-blank", "feat: breaking\n\nbody\nBREAKING CHANGE: gone",
     "{}: no blank line before the footer"),
]


@pytest.mark.parametrize("gate,message,evidence", FAILING, ids=[f[0] for f in FAILING])
def test_gate_fails_naming_the_commit(tmp_path, gate, message, evidence):
    code, got, shorts = run(tmp_path, ["feat: a good one", message])
    result = got[gate]
    assert result["status"] == "fail"
    assert result["severity"] == ("warning" if gate in WARNINGS else "error")
    assert [(e["path"], e["line"], e["message"]) for e in result["evidence"]] == \
        [(f"commit {shorts[1]}", None, evidence.format(shorts[1]))]
    assert code == (0 if gate in WARNINGS else 1)


def test_commitlint_default_ignores_are_skipped(tmp_path):
    ignored = ["Merge branch 'main' into feature/x", "Merge pull request #3 from a/b",
               "Revert \"feat: x\"\n\nThis reverts commit abc.", "fixup! feat: x", "squash! Feat: X.",
               "amend! feat: x", "v1.2.3", "chore(release): 2.0.0", "Merge remote-tracking branch 'origin/main'",
               "Automatic merge from main", "Auto-merged main into dev", "Merge tag 'v1.0.0'"]
    code, got, _ = run(tmp_path, ignored)
    assert {name: r["status"] for name, r in got.items()} == {name: "pass" for name in GATES}
    assert code == 0


def test_initial_commit_is_not_ignored(tmp_path):
    """commitlint's defaults do not ignore `Initial commit` (it is not in is-ignored's list)."""
    _, got, _ = run(tmp_path, ["Initial commit"])
    assert got["type-empty"]["status"] == "fail"


def test_without_base_the_gates_error(tmp_path):
    make_repo(tmp_path / "repo", ["feat: x"])
    code, report = policylint_check(tmp_path / "repo")
    got = results(report)
    assert {r["status"] for r in got.values()} == {"error"}
    assert got["type-enum"]["evidence"] == [{"path": "git", "line": None, "message":
        "`git.commits` needs --base REV: the revision the pull request merges into, e.g. --base origin/main"}]
    assert code == 1


def test_by_name_with_other_packs(tmp_path):
    """The pack mixes with the others: named with `--pack` beside one that has no subject here."""
    repo = tmp_path / "repo"
    make_repo(repo, ["feat: x"])
    code, report = policylint_check(repo, "--base", "base", "--pack", "speckit")
    assert code == 0
    assert {r["gate"] for r in report["results"]} >= {f"{PACK}.{g}" for g in GATES}


# -- agreement with commitlint ------------------------------------------------------------

LINT_SCRIPT = r"""
import { pathToFileURL } from "node:url";
import { readFileSync } from "node:fs";
const [prefix, input] = process.argv.slice(2);
const mod = (name) => import(pathToFileURL(`${prefix}/node_modules/@commitlint/${name}`).href);
const load = (await mod("load/lib/load.js")).default;
const lint = (await mod("lint/lib/lint.js")).default;
const loaded = await load({ extends: ["@commitlint/config-conventional"] }, { cwd: prefix });
// as @commitlint/cli builds its options (lib/cli.js)
const opts = { parserOpts: loaded.parserPreset?.parserOpts ?? {}, plugins: loaded.plugins ?? {},
               ignores: loaded.ignores ?? [], defaultIgnores: loaded.defaultIgnores !== false };
const out = [];
for (const message of JSON.parse(readFileSync(input, "utf8"))) {
  const r = await lint(message, loaded.rules, opts);
  out.push({ valid: r.valid, errors: r.errors.map((e) => e.name), warnings: r.warnings.map((e) => e.name) });
}
process.stdout.write(JSON.stringify(out));
"""


@pytest.fixture(scope="module")
def commitlint_prefix():
    """The npm prefix holding @commitlint/cli and config-conventional 20.5, installed on first use."""
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        pytest.skip(f"npm is not installed: comparing with commitlint needs the real tool "
                    f"(npm install @commitlint/cli@{COMMITLINT_VERSION} @commitlint/config-conventional@{COMMITLINT_VERSION})")
    tools = Path(os.environ.get("POLICYLINT_TOOLS_DIR") or Path.home() / ".cache" / "policylint-tools")
    prefix = tools / f"commitlint-{COMMITLINT_VERSION}"
    problem = ""
    for _ in range(2):  # a partial install (an interrupted npm) is removed and done again
        if _installed(prefix):
            return prefix
        shutil.rmtree(prefix, ignore_errors=True)
        prefix.mkdir(parents=True, exist_ok=True)
        done = subprocess.run([npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund", "--loglevel=error",
                               f"@commitlint/cli@{COMMITLINT_VERSION}", f"@commitlint/config-conventional@{COMMITLINT_VERSION}"],
                              capture_output=True, text=True, timeout=900)
        problem = done.stderr
    pytest.fail(f"npm could not install commitlint {COMMITLINT_VERSION} into {prefix}:\n{problem}", pytrace=False)


def _installed(prefix: Path) -> bool:
    for name in ("cli", "config-conventional", "lint", "load"):
        meta = prefix / "node_modules" / "@commitlint" / name / "package.json"
        try:
            if not json.loads(meta.read_text())["version"].startswith(COMMITLINT_VERSION + "."):
                return False
        except (OSError, ValueError, KeyError):
            return False
    return (prefix / "node_modules" / ".bin" / "commitlint").exists()


def commitlint_verdicts(prefix: Path, messages: list, tmp: Path) -> list:
    script, data = tmp / "lint.mjs", tmp / "messages.json"
    script.write_text(LINT_SCRIPT)
    data.write_text(json.dumps(messages))
    done = subprocess.run(["node", str(script), str(prefix), str(data)], capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        pytest.fail(f"commitlint's lint failed:\n{done.stderr}", pytrace=False)
    return json.loads(done.stdout)


def stored_messages(repo: Path) -> dict:
    """sha -> the message as git stores it (`%B`, what `commitlint --from` reads through git-raw-commits)."""
    out = _git(repo, "log", "-z", "--format=%H%x01%h%x01%B", "base..HEAD")
    rows = [item.split("\x01") for item in out.split("\x00") if item.strip()]
    return {sha.strip(): (short, body) for sha, short, body in rows}


def policylint_findings(report: dict) -> dict:
    """short sha -> the gates that fail naming it (warnings included)."""
    errored = [r for r in report["results"] if r["status"] == "error"]
    assert not errored, f"gates in error: {errored}"
    found: dict = {}
    for r in report["results"]:
        if r["status"] == "fail":
            for e in r["evidence"]:
                assert e["path"].startswith("commit "), f"{r['gate']}: evidence capped, use fewer messages: {e}"
                found.setdefault(e["path"].removeprefix("commit "), set()).add(r["gate"].split(".", 1)[1])
    return found


LINE_RULES = {"body-max-line-length", "footer-max-line-length"}  # one gate, `line-length`, checks both


def commitlint_rules(verdict: dict) -> set:
    names = set(verdict["errors"]) | set(verdict["warnings"])
    return (names - LINE_RULES) | ({"line-length"} if names & LINE_RULES else set())


def agreement(tmp_path: Path, prefix: Path, messages: list) -> tuple:
    """(verdict disagreements, rule disagreements, how many commitlint finds invalid)."""
    repo = tmp_path / "repo"
    shas = make_repo(repo, messages)
    stored = stored_messages(repo)
    texts = [stored[sha][1] for sha in shas]
    verdicts = commitlint_verdicts(prefix, texts, tmp_path)
    _, report = policylint_check(repo, "--base", "base")
    ours = policylint_findings(report)
    verdict_diffs, rule_diffs = [], []
    for sha, text, verdict in zip(shas, texts, verdicts):
        gates = ours.get(stored[sha][0], set())
        theirs = commitlint_rules(verdict)
        line = f"{text!r}: commitlint {sorted(theirs) or 'clean'}, policylint {sorted(gates) or 'clean'}"
        if verdict["valid"] == bool(gates - WARNINGS):
            verdict_diffs.append(line)
        if theirs != gates:
            rule_diffs.append(line)
    invalid = sum(not v["valid"] for v in verdicts)
    return verdict_diffs, rule_diffs, invalid


def test_commitlint_runs_as_the_cli_does(commitlint_prefix, tmp_path):
    """The in-process lint above gives the CLI's verdict (its exit status) on a few messages."""
    cli = commitlint_prefix / "node_modules" / ".bin" / "commitlint"
    messages = ["feat: ok", "Feat: Bad.", "Merge branch 'x'", "feat: x\n\n" + "y" * 101]
    verdicts = commitlint_verdicts(commitlint_prefix, messages, tmp_path)
    for message, verdict in zip(messages, verdicts):
        done = subprocess.run([str(cli), "--extends", "@commitlint/config-conventional", "--cwd", str(commitlint_prefix)],
                              input=message, capture_output=True, text=True, timeout=120)
        assert (done.returncode == 0) == verdict["valid"], (message, done.stdout, done.stderr)


def test_agrees_with_commitlint_on_real_messages(commitlint_prefix, tmp_path):
    messages = [m["message"] for m in json.loads(REAL_MESSAGES.read_text(encoding="utf-8"))]
    verdicts, rules, invalid = agreement(tmp_path, commitlint_prefix, messages)
    assert not verdicts, f"{len(verdicts)} of {len(messages)} real messages disagree:\n" + "\n".join(verdicts)
    assert not rules, f"{len(rules)} of {len(messages)} real messages break other rules:\n" + "\n".join(rules)
    assert 0 < invalid < len(messages)  # the set holds both verdicts


def test_agrees_with_commitlint_on_constructed_messages(commitlint_prefix, tmp_path):
    verdicts, rules, invalid = agreement(tmp_path, commitlint_prefix, CONSTRUCTED)
    assert not verdicts, f"{len(verdicts)} of {len(CONSTRUCTED)} messages disagree:\n" + "\n".join(verdicts)
    assert not rules, f"{len(rules)} of {len(CONSTRUCTED)} messages break other rules:\n" + "\n".join(rules)
    assert 0 < invalid < len(CONSTRUCTED)
