"""The table of loaders: name -> "module:function". Nothing is imported until used.

A loader is a function of the language that turns a repository file into a typed,
located view. Its module declares its signature with `@loader`, so the checker can type
calls and field accesses without running anything.
"""
from __future__ import annotations

from ..fastpath import named

LOADERS = {
    "exists": "policylint.loaders.files:exists",
    "glob": "policylint.loaders.files:glob",
    "dirs": "policylint.loaders.files:dirs",
    "text": "policylint.loaders.files:text",
    "lines": "policylint.loaders.files:lines",
    "markdown": "policylint.loaders.markdown:load_markdown",
    "tasks": "policylint.loaders.tasks:load_tasks",
    "openspec": "policylint.loaders.openspec:load_openspec",
    "openspec_change": "policylint.loaders.openspec:load_openspec_change",
    "coverage": "policylint.loaders.coverage:load_coverage",
    "changelog": "policylint.loaders.changelog:load_changelog",
    "git": "policylint.loaders.git:load_git",
    "junit": "policylint.loaders.junit:load_junit",
    "yaml": "policylint.loaders.data:load_yaml",
    "json": "policylint.loaders.data:load_json",
    "toml": "policylint.loaders.data:load_toml",
    "jsonl": "policylint.loaders.data:load_jsonl",
    "schema_errors": "policylint.loaders.data:schema_errors",
    "pack_schema_errors": "policylint.loaders.packfiles:pack_schema_errors",
    "openapi": "policylint.loaders.openapi:load_openapi",
    "dependencies": "policylint.loaders.dependencies:load_dependencies",
    "new_dependencies": "policylint.loaders.dependencies:load_new_dependencies",
    "workitems": "policylint.loaders.workitems:load_workitems",
    "approvals": "policylint.loaders.approvals:load_approvals",
}


# Loaders without arguments that a policy uses as a name (`git.branch`), not as a call.
VALUE_LOADERS = ("git",)


def get(name: str):
    """The loader's function (with `.signature` attached by `@loader`)."""
    return named(LOADERS[name])
