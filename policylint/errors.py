"""Exceptions that carry a user-facing diagnostic; never shown as a traceback."""
from __future__ import annotations


class PolicylintError(Exception):
    """The tool cannot do its job (exit 2): bad flags, a policy that does not check."""

    def __init__(self, diagnostics):
        if not isinstance(diagnostics, list):
            diagnostics = [diagnostics]
        self.diagnostics = diagnostics
        super().__init__("\n".join(d.message for d in diagnostics))


class ArtifactError(Exception):
    """A repository file could not be used as evidence: the gate errors and says why."""

    code = "PL405"

    def __init__(self, path: str, message: str, line: int | None = None):
        self.path = path
        self.line = line
        self.message = message
        super().__init__(f"{path}: {message}")


class ArtifactMissing(ArtifactError):
    """The file a gate needs is absent: the gate fails (the work is not there)."""

    code = "PL401"


class EvaluationError(Exception):
    """A value of the wrong kind met an operator at run time (the checker let Any through)."""

    def __init__(self, message: str, span=None):
        self.message = message
        self.span = span
        super().__init__(message)
