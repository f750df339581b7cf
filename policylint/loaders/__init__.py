"""The table of loaders: name -> "module:function". Nothing is imported until used.

A loader is a function of the language that turns a repository file into a typed,
located view. Its module declares its signature with `@loader`, so the checker can type
calls and field accesses without running anything.
"""
from __future__ import annotations

import importlib

LOADERS = {
    "exists": "policylint.loaders.files:exists",
    "glob": "policylint.loaders.files:glob",
    "dirs": "policylint.loaders.files:dirs",
    "text": "policylint.loaders.files:text",
    "lines": "policylint.loaders.files:lines",
    "markdown": "policylint.loaders.markdown:load_markdown",
    "tasks": "policylint.loaders.tasks:load_tasks",
}


# Loaders without arguments that a policy uses as a name (`git.branch`), not as a call.
VALUE_LOADERS = ("git",)


def get(name: str):
    """The loader's function (with `.signature` attached by `@loader`)."""
    module, attr = LOADERS[name].split(":")
    return getattr(importlib.import_module(module), attr)
