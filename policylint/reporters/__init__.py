"""Output formats: name -> "module:render". Each renders a Run to a text stream.

One file per format behind one interface, as conftest does; an unknown format is an
error that lists these names.
"""
from __future__ import annotations

from ..fastpath import named

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
    render = named(FORMATS[name])

    def noted(run, out, options):
        """The format noted on the run's results cache, which keeps json's or text's pieces for the next run."""
        formats = getattr(getattr(run, "memory", None), "formats", None)
        if formats is not None:
            formats.append((name, options))
        return render(run, out, options)

    return noted
