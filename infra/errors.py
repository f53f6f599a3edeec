"""Errors of the running engine (as opposed to domain errors)."""


class StartupError(Exception):
    """A dependency is misconfigured or unreachable. The message is one line: what and where."""
