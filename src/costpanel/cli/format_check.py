"""A file named with one source (``--source X`` / ``--format costpanel``) that looks like another
tool's log: read as asked, with a warning (read as the wrong format, a log yields no calls at all,
which is easy to take for none made)."""

from __future__ import annotations

import sys
from pathlib import Path

from .output import printable


def warn_other_formats(paths: list[Path], source: str) -> None:
    """Files named with ``--source`` that look like another tool's logs: read as asked, with a word
    (read as the wrong format, a log yields no calls at all, which is easy to take for none made)."""
    from ..integrations.ingest import HEAD_BYTES
    from ..integrations.registry import chosen

    readers = chosen("all")
    for path in paths:
        path = path.expanduser()
        try:
            if not path.is_file():
                continue
            with path.open("rb") as f:
                head = f.read(HEAD_BYTES)
        except OSError:
            continue  # the import says why it cannot read it
        if readers[source].looks_like(path, head):
            continue
        other = next((name for name, module in readers.items() if name != source and module.looks_like(path, head)),
                     None)
        if other is not None:
            print(printable(f"costpanel: warning: {path} looks like a {other} log, not {source}: read as {source} "
                            "as asked (--source all detects each file's format)"), file=sys.stderr)
