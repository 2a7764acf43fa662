"""The one error type of the pricing layer."""

from __future__ import annotations

from collections.abc import Sequence


class PricingError(ValueError):
    """One or more pricing files are malformed. ``problems`` holds one line per problem, each
    naming the file, the model id and the field."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("invalid pricing data:\n  " + "\n  ".join(self.problems))
