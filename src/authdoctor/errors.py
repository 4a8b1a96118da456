"""authdoctor's exceptions: one base, and load errors that say exactly where the problem is."""

from __future__ import annotations


class AuthDoctorError(Exception):
    """Base of every error authdoctor raises on purpose, so each is caught once: the command
    line prints its message on one line and exits 2; the addon turns it into OptionsError."""


class LoadError(AuthDoctorError):
    """A rule, cases or profile file is wrong; the message names file, line, rule and field."""

    def __init__(
        self,
        message: str,
        *,
        file: str,
        line: int | None = None,
        item: str | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.item = item
        self.field = field
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        parts = [where]
        if self.item:
            parts.append(f"'{self.item}'")
        if self.field:
            parts.append(self.field)
        return ": ".join([*parts, self.message])
