"""Problems found in content, each with the place an editor must look."""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


class Position(NamedTuple):
    """A 1-based line and column in a file, relative to the site folder (a tuple: cheap to keep by the thousand)."""

    path: str
    line: int = 1
    col: int = 1

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the content, printed as `path:line:col: error: message`.

    Severities: `error` stops the build; `warning` should be fixed before publishing (`check
    --strict` makes it an error); `note` suggests an improvement and never blocks.
    """

    position: Position
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        return f"{self.position}: {self.severity}: {self.message}"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


class ContentErrors(Exception):
    """Raised once, after every problem in the content has been found."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problems")
        self.problems = sorted(problems, key=lambda p: (p.position, p.message))

    def __reduce__(self):
        return (ContentErrors, (self.problems,))  # crosses process boundaries whole


SEVERITIES = ("error", "warning", "note")  # the most pressing first


def summary_line(problems: list[Problem]) -> str:
    """The count printed after the problems: `2 errors`, `1 error, 3 warnings, 2 notes`."""
    counts = {severity: sum(p.severity == severity for p in problems) for severity in SEVERITIES}
    parts = [f"{count} {severity}{'s' * (count != 1)}" for severity, count in counts.items() if count]
    return ", ".join(parts) or "0 errors"
