"""Loading the price catalog: the compiled cache (a hit) against building it from the files.

Targets (issue 10): `python -c "import costpanel"` <= 100 ms and `costpanel price ...` <= 0.3 s
wall, also with a catalog twice the size; loading must not grow with the catalog.
Every figure is the median of fresh interpreters (`--runs` rounds; the cases take turns within a
round), with an empty config dir and cache dirs of this run's own. The baseline is `build_catalog(...)` from the files, uncached,
measured in the same run. "Doubled" adds a copy of every bundled provider file, every model id
and alias renamed, as `COSTPANEL_PRICING` overrides.
Run: PYTHONPATH=src python bench/catalog_load.py
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from _common import check, header

# Times only the load, in a fresh interpreter that has imported costpanel already.
LOAD = """
import sys, time
import costpanel
from costpanel.pricing.catalog import build_catalog, load_catalog
from costpanel.pricing.files import bundled_dir, override_paths, provider_paths
mode = sys.argv[1]
t0 = time.perf_counter()
if mode == "build":
    folder = bundled_dir()
    cat = build_catalog(provider_paths(folder), override_paths(), folder)
else:
    cat = load_catalog()
print((time.perf_counter() - t0) * 1000, len(cat), "pydantic" in sys.modules)
"""

KEY = """
import sys, time
from costpanel.pricing import compiled_cache
from costpanel.pricing.files import bundled_dir, override_paths, provider_paths
folder = bundled_dir()
inputs = [*(("bundled", p) for p in provider_paths(folder)), ("rules", folder / "_matching.toml"),
          *(("override", p) for p in override_paths())]
n = 200
t0 = time.perf_counter()
for _ in range(n):
    compiled_cache.content_key(inputs)
print((time.perf_counter() - t0) / n * 1e6, sum(p.stat().st_size for _, p in inputs))
"""

PRICE = ["-m", "costpanel", "price", "claude-sonnet-4-5", "--input", "1000", "--output", "100"]


def doubled_pricing(folder: Path, out: Path) -> Path:
    """A copy of each provider file with every model id and alias given a ``-dup`` suffix (and the
    model lists of its file-wide variants)."""
    out.mkdir()
    for path in sorted(folder.glob("*.toml")):
        if path.name.startswith("_"):
            continue
        lines, in_aliases = [], False
        for line in path.read_text(encoding="utf-8").splitlines():
            stripped = line.lstrip()
            starts = stripped.startswith(("id = ", "aliases = [", "models = ["))
            if starts or in_aliases:
                code, _, comment = line.partition("#")
                line = re.sub(r'"([^"]*)"', r'"\1-dup"', code) + (f"#{comment}" if comment else "")
                if stripped.startswith(("aliases = [", "models = [")) and "]" not in code:
                    in_aliases = True
                elif in_aliases and "]" in code:
                    in_aliases = False
            lines.append(line)
        (out / f"dup-{path.name}").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def wall(args: list[str], env: dict[str, str], before: Callable[[], None] | None = None) -> float:
    if before is not None:
        before()
    t0 = time.perf_counter()
    subprocess.run([sys.executable, *args], env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def load_ms(mode: str, env: dict[str, str], before: Callable[[], None] | None = None) -> tuple[float, int, bool]:
    if before is not None:
        before()
    out = subprocess.run([sys.executable, "-c", LOAD, mode], env=env, check=True, capture_output=True,
                         text=True).stdout.split()
    return float(out[0]), int(out[1]), out[2] == "True"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    header("catalog load: compiled cache vs building from the files")
    from costpanel.pricing.files import bundled_dir

    tmp = Path(tempfile.mkdtemp(prefix="costpanel-bench-"))
    base_env = {**os.environ, "COSTPANEL_CONFIG_DIR": str(tmp / "config")}
    base_env.pop("COSTPANEL_PRICING", None)
    dup = doubled_pricing(bundled_dir(), tmp / "dup")
    envs = {"bundled": {**base_env, "COSTPANEL_CACHE_DIR": str(tmp / "cache-bundled")},
            "doubled": {**base_env, "COSTPANEL_CACHE_DIR": str(tmp / "cache-doubled"), "COSTPANEL_PRICING": str(dup)}}

    def drop_cache(label: str) -> Callable[[], None]:
        return lambda: shutil.rmtree(envs[label]["COSTPANEL_CACHE_DIR"], ignore_errors=True)

    # The cases take turns round after round, so a busy moment of the machine slows all alike.
    samples: dict[str, dict[str, list[float]]] = {label: defaultdict(list) for label in envs}
    warm_pydantic = False
    try:
        for _ in range(args.runs):
            for label, env in envs.items():
                s = samples[label]
                s["build"].append(load_ms("build", env)[0])
                s["cold"].append(load_ms("load", env, drop_cache(label))[0])  # leaves the cache written
                ms, n, pyd = load_ms("load", env)
                s["warm"].append(ms)
                s["models"].append(n)
                warm_pydantic |= pyd
                s["price_warm"].append(wall(PRICE, env))
                s["price_cold"].append(wall(PRICE, env, drop_cache(label)))
        results: dict[str, dict[str, float]] = {
            label: {k: statistics.median(v) for k, v in s.items()} for label, s in samples.items()}
        for label, env in envs.items():
            key = subprocess.run([sys.executable, "-c", KEY], env=env, check=True, capture_output=True,
                                 text=True).stdout.split()
            results[label]["key_us"], results[label]["bytes"] = float(key[0]), float(key[1])
        passes, imports = [], []
        for _ in range(15):
            passes.append(wall(["-c", "pass"], base_env))
            imports.append(wall(["-c", "import costpanel"], base_env))
        results["import"] = {"pass": statistics.median(passes), "import": statistics.median(imports)}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    b, d = results["bundled"], results["doubled"]
    print(f"{'':48} {'bundled':>10} {'doubled':>10} {'doubled ÷ bundled':>18}")
    print(f"{'models':48} {b['models']:10.0f} {d['models']:10.0f} {d['models'] / b['models']:17.2f}×")
    print(f"{'price files read and hashed (bytes)':48} {b['bytes']:10.0f} {d['bytes']:10.0f} "
          f"{d['bytes'] / b['bytes']:17.2f}×")
    print(f"{'  content key (price files + code), µs':48} {b['key_us']:10.0f} {d['key_us']:10.0f} "
          f"{d['key_us'] / b['key_us']:17.2f}×")
    for name, what in (("build", "build_catalog from the files (baseline), ms"),
                       ("cold", "load_catalog, no cache file (build + write), ms"),
                       ("warm", "load_catalog, cache hit, ms")):
        print(f"{what:48} {b[name]:10.1f} {d[name]:10.1f} {d[name] / b[name]:17.2f}×")
    print(f"{'  hit ÷ baseline':48} {b['warm'] / b['build']:9.3f}× {d['warm'] / d['build']:9.3f}×")
    print(f"{'costpanel price, wall, no cache file, s':48} {b['price_cold']:10.3f} {d['price_cold']:10.3f} "
          f"{d['price_cold'] / b['price_cold']:17.2f}×")
    print(f"{'costpanel price, wall, cache hit, s':48} {b['price_warm']:10.3f} {d['price_warm']:10.3f} "
          f"{d['price_warm'] / b['price_warm']:17.2f}×")
    imp = results["import"]
    print(f"python -c pass: {imp['pass'] * 1000:.1f} ms; python -c 'import costpanel': {imp['import'] * 1000:.1f} ms")
    print(check("import costpanel <= 100 ms", imp["import"] <= 0.100))
    print(check("costpanel price (hit) <= 0.3 s, bundled and doubled", max(b["price_warm"], d["price_warm"]) <= 0.3))
    print(check("hit imports no pydantic", not warm_pydantic))
    grow_build, grow_hit = d["build"] - b["build"], d["warm"] - b["warm"]
    print(f"doubling the catalog adds {grow_build:.1f} ms to a build, {grow_hit:.1f} ms to a hit")
    print(check("a hit on the doubled catalog <= 1/10 of building it", d["warm"] <= d["build"] / 10))


if __name__ == "__main__":
    main()
