"""One cell of the matrix: a producer's model, handed to a consumer, checked against its truth.

The checks are crosscheck's (`crosscheck.agreement.run_checks`); a cell adds where it sits.
"""

from __future__ import annotations

import dataclasses

from reusable_savedmodel.adapters.crosscheck import ConsumerResult


@dataclasses.dataclass(kw_only=True)
class Cell(ConsumerResult):
    """The outcome of one cell (a `ConsumerResult` that knows its row).

    Attributes:
      producer: The producer's name.
      kind: The model kind.
      route: `in process` or `saved`.
      not_run: The route does not exist for this cell (a documented limitation), so
        nothing ran.
    """

    producer: str
    kind: str
    route: str
    not_run: bool = False

    def describe(self) -> str:
        """One line for messages: where, and what went wrong."""
        where = f"{self.producer}/{self.kind} -> {self.consumer} ({self.route})"
        if self.not_run:
            return f"{where}: not run"
        if self.error is not None:
            return f"{where}: {type(self.error).__name__}: {self.error}"
        problems = "; ".join(f"{k}: {v}" for k, v in self.failed_checks.items())
        return f"{where}: {problems or 'ok'}"

