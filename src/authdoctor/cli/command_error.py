"""The error a command raises when it cannot do what it was asked."""

from __future__ import annotations

from authdoctor.errors import AuthDoctorError


class CommandError(AuthDoctorError):
    """An output the command must not write, or input it cannot use; main() prints the
    message on one line and exits 2, as for every other AuthDoctorError."""
