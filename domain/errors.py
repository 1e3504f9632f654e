"""The domain's error family. The API maps each class to one HTTP status in one place."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every rule the domain refuses."""


class MoveNotAllowed(DomainError):
    """The case's status (or its current handler) forbids this move (HTTP 409)."""

    def __init__(self, move: str, status: str, why: str | None = None) -> None:
        self.move = move
        self.status = status
        self.why = why
        message = f"'{move}' is not allowed while the case is {status}"
        super().__init__(f"{message}: {why}" if why else message)


class RuleViolated(DomainError):
    """Input that is well-formed but breaks a business rule (HTTP 422)."""

    def __init__(self, field: str, rule: str) -> None:
        self.field = field
        self.rule = rule
        super().__init__(f"{field}: {rule}")


class Forbidden(DomainError):
    """The actor may not make this move at all (HTTP 403)."""


class CaseNotFound(DomainError):
    """No such case, or not one this actor may see (HTTP 404)."""


class VersionConflict(DomainError):
    """The caller's expected version is not the case's version (HTTP 412)."""

    def __init__(self, expected: int, actual: int) -> None:
        self.expected = expected
        self.actual = actual
        super().__init__(f"expected version {expected}, the case is at version {actual}")


class ConcurrentUpdate(DomainError):
    """Another move on the same case was stored first (HTTP 409); nothing was stored."""
