"""`python -c "import costpanel"` wall time, median of fresh interpreters.

Target (issue 3): <= 100 ms, and neither Dear PyGui nor pydantic imported.
Run: python bench/import_time.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

from _common import check, header


def run(code: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - t0


def main() -> None:
    header("import costpanel")
    heavy = subprocess.run(
        [sys.executable, "-c", "import sys, costpanel; print(sorted(m for m in ('dearpygui', 'pydantic') if m in sys.modules))"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    base = statistics.median(run("pass") for _ in range(15))
    full = statistics.median(run("import costpanel") for _ in range(15))
    print(f"python -c pass:             {base * 1000:6.1f} ms")
    print(f"python -c 'import costpanel': {full * 1000:6.1f} ms (import itself ~{(full - base) * 1000:.1f} ms)")
    print(f"heavy modules imported: {heavy}")
    print(check("target <= 100 ms", full <= 0.100))
    print(check("no dearpygui/pydantic on import", heavy == "[]"))


if __name__ == "__main__":
    main()
