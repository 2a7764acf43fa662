"""The compiled catalog, kept on disk between runs and keyed by the contents of its files.

Building the catalog (TOML, pydantic validation, compiling rates) costs ~200 ms and grows with the
number of price files; unpickling the compiled ``Catalog`` costs a few ms and needs no pydantic.
The key hashes every input file's bytes (not mtimes: a ``git checkout`` can restore an mtime over
new prices), its role and path, plus costpanel's version, this format's version and the Python
build (pickle compatibility). The cache is an optimisation only: whatever is wrong with it
(missing, truncated, corrupt, another key, unreadable, unwritable) the caller builds from the
files. Unpickling runs code named in the file, so only a file this user owns and nobody else
can write is read (it is written 0600 in a 0700 folder); ``COSTPANEL_CACHE_DIR`` may point
anywhere.
"""

from __future__ import annotations

import os
import pickle
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .catalog import Catalog

try:  # CPython's own BLAKE2: `hashlib` would load OpenSSL first (~5 ms, as much as the rest of a hit)
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - another Python
    from hashlib import blake2b

FORMAT = 1  # bump when what is pickled changes shape in a way the key would not notice
_MAGIC = b"costpanel-catalog\n"
FILE_NAME = "catalog.pickle"
# The modules whose code decides what the pickle holds (entries, periods, rates, the buckets).
# Hashed too: an editable install keeps its version while these change under it, and a pickle
# of yesterday's ModelEntry may still load into today's class with a field meaning another thing.
_CODE = ("catalog.py", "compiled_cache.py", "files.py", "rates.py", "schema.py", "../usage.py")


def cache_path() -> Path:
    from ..paths import cache_dir

    return cache_dir() / FILE_NAME


def content_key(inputs: Sequence[tuple[str, Path]]) -> bytes:
    """Digest of ``(role, path)`` inputs and their bytes, in order. Raises OSError if a file
    cannot be read (the build then reports it as a pricing problem)."""
    from .. import __version__

    h = blake2b(digest_size=32)
    for part in (f"costpanel {__version__}", f"format {FORMAT}", sys.implementation.cache_tag or "",
                 sys.version):
        h.update(part.encode() + b"\0")
    here = Path(__file__).parent
    for name in _CODE:
        try:
            code = (here / name).read_bytes()
        except OSError:  # no sources beside the bytecode: the version alone has to tell
            code = b"?"
        h.update(f"{name}\0{len(code)}\0".encode())
        h.update(code)
    for role, path in inputs:
        data = path.read_bytes()
        # Lengths delimit the fields, so no two different inputs hash the same bytes.
        head = f"{role}\0{path}\0{len(data)}\0".encode("utf-8", "surrogateescape")
        h.update(head)
        h.update(data)
    return h.digest()


def load(key: bytes) -> Catalog | None:
    """The cached catalog if the cache file holds one for exactly ``key``, else None."""
    from .catalog import Catalog

    try:
        with cache_path().open("rb") as f:
            if not _private(os.fstat(f.fileno())):
                return None
            blob = f.read()
        head = _MAGIC + key
        if not blob.startswith(head):  # another key (or not our file): never trusted
            return None
        catalog = pickle.loads(memoryview(blob)[len(head):])
    except Exception:  # noqa: BLE001 - any damage at all is a miss; the files are the truth
        return None
    return catalog if isinstance(catalog, Catalog) else None


def _private(st: os.stat_result) -> bool:
    """Owned by this user and writable by no one else (where the OS has such owners)."""
    if not hasattr(os, "geteuid"):
        return True
    return st.st_uid == os.geteuid() and not st.st_mode & 0o022


def store(key: bytes, catalog: Catalog) -> bool:
    """Write the cache (atomically: readers see the old file or the new one); False if it could
    not be written, which only costs the next run a rebuild."""
    from ..paths import write_private_file

    try:
        data = _MAGIC + key + pickle.dumps(catalog, protocol=pickle.HIGHEST_PROTOCOL)
        write_private_file(cache_path(), data)
    except Exception:  # noqa: BLE001 - read-only home, full disk, an unpicklable new field: no cache
        return False
    return True
