"""Output formats: name -> "module:render". Each renders a Run to a text stream.

One file per format behind one interface, as conftest does; an unknown format is an
error that lists these names.
"""
from __future__ import annotations

import importlib

FORMATS = {
    "text": "policylint.reporters.text:render",
    "json": "policylint.reporters.json:render",
    "sarif": "policylint.reporters.sarif:render",
    "junit": "policylint.reporters.junit:render",
    "github": "policylint.reporters.github:render",
    "gitlab": "policylint.reporters.gitlab:render",
    "markdown": "policylint.reporters.markdown:render",
    "progress": "policylint.reporters.markdown:render_dashboard",
}


def get(name: str):
    module, attr = FORMATS[name].split(":")
    return getattr(importlib.import_module(module), attr)
