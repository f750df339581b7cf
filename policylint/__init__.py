"""policylint: delivery-workflow gates declared in a small language, checked against a repository."""

__version__ = "0.1.0"
JSON_SCHEMA_VERSION = 1
