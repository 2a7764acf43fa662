"""Item tags, all under one ``costpanel/<n>/`` prefix so several panels can share an app."""

from __future__ import annotations

import itertools

_instances = itertools.count(1)


class Tags:
    """Tag names of one panel instance."""

    def __init__(self) -> None:
        self.prefix = f"costpanel/{next(_instances)}/"

    def __call__(self, *parts: object) -> str:
        return self.prefix + "/".join(str(p) for p in parts)
