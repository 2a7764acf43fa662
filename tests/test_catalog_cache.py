"""The compiled catalog cache (pricing/compiled_cache.py): a hit gives the prices a build from the
files gives, without pydantic; any change to a price file's bytes is a miss; a damaged, unreadable
or unwritable cache never breaks loading; a file with problems is reported as before and never
cached."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from costpanel.pricing import PricingError, compiled_cache, load_catalog
from costpanel.pricing import catalog as catalog_mod
from costpanel.pricing.catalog import Catalog, build_catalog
from costpanel.pricing.files import bundled_dir, provider_paths

HEAD = """\
provider = "acme"
name = "Acme"
sources = ["https://acme.example/pricing"]
checked = 2026-11-01
"""


def acme(input_price: str = "1.25", mid: str = "acme-1") -> str:
    return HEAD + textwrap.dedent(f"""
        [[models]]
        id = "{mid}"
        aliases = ["{mid}-latest"]
        [[models.prices]]
        effective = 2025-01-01
        source = "https://acme.example/pricing"
        input = {input_price}
        output = 2
        """)


NAMES = ["gpt-4o", "openai/gpt-4o-mini-2024-07-18", "claude-sonnet-4-5-20250929", "gpt-35-turbo",
         "anthropic.claude-3-haiku-20240307-v1:0", "gemini/gemini-2.5-pro", "no-such-model"]


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty cache folder of the test's own, and no catalog held in this process."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("COSTPANEL_CACHE_DIR", str(folder))
    catalog_mod._cache.clear()
    yield folder
    catalog_mod._cache.clear()


def forget_in_process() -> None:
    catalog_mod._cache.clear()


@pytest.fixture
def no_build(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """After calling it, building from the files fails the test: the catalog must come from disk."""

    def forbid() -> None:
        def fail(*args: object) -> Catalog:
            raise AssertionError("built from the files: the cache was not used")

        monkeypatch.setattr(catalog_mod, "build_catalog", fail)

    return forbid


def input_rate(cat: Catalog, model: str) -> int:
    entry = cat.match(model)
    assert entry is not None
    return entry.current.base.input


def test_a_hit_prices_exactly_as_a_fresh_build(cache_dir: Path, no_build: Callable[[], None]) -> None:
    folder = bundled_dir()
    built = build_catalog(provider_paths(folder), [], folder)
    load_catalog(overrides=False)  # miss: builds and writes the cache
    assert (cache_dir / compiled_cache.FILE_NAME).is_file()
    forget_in_process()
    no_build()
    hit = load_catalog(overrides=False)
    assert hit is not built and len(hit) == len(built) > 100
    for mid, entry in built.models.items():
        other = hit.models[mid]
        assert (other.id, other.provider, other.provider_name, other.name, other.aliases, other.free,
                other.retired, other.periods, other.origin) == \
               (entry.id, entry.provider, entry.provider_name, entry.name, entry.aliases, entry.free,
                entry.retired, entry.periods, entry.origin)
    for name in NAMES:  # prefixes, rewrites, renames and suffix rules came through the pickle
        a, b = built.match(name), hit.match(name)
        assert (a and a.id) == (b and b.id)
    assert built.match("anthropic.claude-3-haiku-20240307-v1:0") is not None
    assert hit.replaced == built.replaced and hit.providers == built.providers
    assert hit.suggestions("gpt-4oo") == built.suggestions("gpt-4oo")
    assert load_catalog(overrides=False) is hit  # then the same object for the rest of the process


def test_spec_is_validated_lazily_and_equals_the_built_one(cache_dir: Path, no_build: Callable[[], None]) -> None:
    folder = bundled_dir()
    built = build_catalog(provider_paths(folder), [], folder)
    load_catalog(overrides=False)
    forget_in_process()
    no_build()
    hit = load_catalog(overrides=False)
    entry = hit.models["claude-sonnet-4-5"]
    assert entry.spec_ref._spec is None  # not validated until asked for
    assert entry.spec == built.models["claude-sonnet-4-5"].spec
    assert entry.spec is entry.spec  # validated once
    assert entry.current_spec == built.models["claude-sonnet-4-5"].current_spec
    assert all(hit.models[m].spec == e.spec for m, e in built.models.items())


def test_same_size_and_mtime_but_other_bytes_is_a_miss(cache_dir: Path, tmp_path: Path) -> None:
    # What a `git checkout` can do: other content under the old modification time.
    path = tmp_path / "acme.toml"
    path.write_text(acme("1.25"), encoding="utf-8")
    stamp = path.stat()
    assert input_rate(load_catalog(extra=[path]), "acme-1") == 1_250_000
    path.write_text(acme("1.35"), encoding="utf-8")
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert path.stat().st_size == stamp.st_size and path.stat().st_mtime_ns == stamp.st_mtime_ns
    assert input_rate(load_catalog(extra=[path]), "acme-1") == 1_350_000  # in this process
    forget_in_process()
    assert input_rate(load_catalog(extra=[path]), "acme-1") == 1_350_000  # and from the disk cache


def test_override_files_are_part_of_the_key(cache_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            no_build: Callable[[], None]) -> None:
    a, b = tmp_path / "a" / "acme.toml", tmp_path / "b" / "acme.toml"
    for path, price in ((a, "1"), (b, "3")):
        path.parent.mkdir()
        path.write_text(acme(price), encoding="utf-8")
    monkeypatch.setenv("COSTPANEL_PRICING", str(a))
    assert input_rate(load_catalog(), "acme-1") == 1_000_000
    forget_in_process()
    monkeypatch.setenv("COSTPANEL_PRICING", str(b))
    assert input_rate(load_catalog(), "acme-1") == 3_000_000
    forget_in_process()
    monkeypatch.delenv("COSTPANEL_PRICING")
    assert load_catalog().match("acme-1") is None
    # Each of the three had its own key; the last one written is served from disk.
    forget_in_process()
    no_build()
    assert load_catalog().match("acme-1") is None


def test_an_override_that_turns_bundled_into_the_same_bytes_is_still_its_own_key(tmp_path: Path) -> None:
    # A file's role is hashed with it: the same bytes as an override and as a bundled file differ.
    path = tmp_path / "acme.toml"
    path.write_text(acme(), encoding="utf-8")
    assert compiled_cache.content_key([("bundled", path)]) != compiled_cache.content_key([("override", path)])


GARBAGE: dict[str, Callable[[bytes], bytes]] = {
    "empty": lambda good: b"",
    "truncated": lambda good: good[: len(good) // 2],
    "random bytes": lambda good: os.urandom(len(good)),
    "right header, corrupt pickle": lambda good: good[:200] + b"\xff" * 50 + good[250:],
}


@pytest.mark.parametrize("damage", list(GARBAGE))
def test_a_damaged_cache_loads_from_the_files_and_is_rewritten(damage: str, cache_dir: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    fresh = load_catalog(overrides=False)
    cache = cache_dir / compiled_cache.FILE_NAME
    good = cache.read_bytes()
    cache.write_bytes(GARBAGE[damage](good))
    forget_in_process()
    cat = load_catalog(overrides=False)
    assert cat is not fresh and input_rate(cat, "gpt-4o") == input_rate(fresh, "gpt-4o")
    assert cache.read_bytes()[:50] == good[:50]  # header and key rewritten
    forget_in_process()
    assert compiled_cache.load(good[len(b"costpanel-catalog\n"):][:32]) is not None
    assert capsys.readouterr() == ("", "")


def test_a_damaged_cache_gives_no_traceback_on_the_command_line(cache_dir: Path) -> None:
    cache_dir.mkdir()
    (cache_dir / compiled_cache.FILE_NAME).write_bytes(b"costpanel-catalog\n" + b"\0" * 40)
    env = {**os.environ, "COSTPANEL_CACHE_DIR": str(cache_dir)}
    r = subprocess.run([sys.executable, "-m", "costpanel", "price", "gpt-4o", "--input", "1000000", "--json"], check=False,
                       capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert '"cost_usd": "2.5"' in r.stdout


def test_a_cache_path_that_cannot_be_read_or_replaced_still_loads(cache_dir: Path) -> None:
    (cache_dir / compiled_cache.FILE_NAME).mkdir(parents=True)  # a folder where the file should be
    assert input_rate(load_catalog(overrides=False), "gpt-4o") == 2_500_000
    assert (cache_dir / compiled_cache.FILE_NAME).is_dir()


def test_an_unwritable_cache_dir_still_loads(cache_dir: Path, make_unwritable: Callable[[Path], None]) -> None:
    cache_dir.mkdir()
    make_unwritable(cache_dir)
    assert input_rate(load_catalog(overrides=False), "gpt-4o") == 2_500_000
    assert not any(cache_dir.iterdir())  # nothing written, no temp file left


def test_a_cache_dir_that_is_a_file_still_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("COSTPANEL_CACHE_DIR", str(blocker / "cache"))
    forget_in_process()
    assert input_rate(load_catalog(overrides=False), "gpt-4o") == 2_500_000


def test_a_cache_for_other_files_is_never_served(cache_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "acme.toml"
    path.write_text(acme(), encoding="utf-8")
    load_catalog(extra=[path])  # the cache now holds the catalog with acme-1
    cache = cache_dir / compiled_cache.FILE_NAME
    blob = cache.read_bytes()
    assert compiled_cache.load(compiled_cache.content_key([("override", path)])) is None
    forget_in_process()  # other inputs (no acme.toml): that cache is not served, but replaced
    assert load_catalog(overrides=False).match("acme-1") is None
    assert cache.read_bytes() != blob


def test_a_file_with_problems_is_reported_as_before_and_never_cached(cache_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "acme.toml"
    path.write_text(acme("-1"), encoding="utf-8")
    expected = ((f"{path}: model 'acme-1' (models[0]) field prices[0].input: "
                 "price must be a finite number >= 0, got -1"),)
    for _ in range(2):  # not held in this process either
        with pytest.raises(PricingError) as info:
            load_catalog(extra=[path])
        assert info.value.problems == expected
    assert not (cache_dir / compiled_cache.FILE_NAME).exists()
    load_catalog(overrides=False)  # a good catalog is cached; the bad file's key still misses
    with pytest.raises(PricingError) as info:
        load_catalog(extra=[path])
    assert info.value.problems == expected


HIT_PROBE = """
import sys
import costpanel
from costpanel.cli.main import main
cat = costpanel.load_catalog()
print(len(cat), 'pydantic' in sys.modules)
main(["price", "claude-sonnet-4-5", "--input", "1000", "--json"])
print('pydantic' in sys.modules)
cat.models["gpt-4o"].spec
print('pydantic' in sys.modules)
"""


def test_a_hit_imports_no_pydantic(cache_dir: Path) -> None:
    env = {**os.environ, "COSTPANEL_CACHE_DIR": str(cache_dir)}

    def probe() -> list[str]:
        r = subprocess.run([sys.executable, "-c", HIT_PROBE], check=False, capture_output=True, text=True, env=env, timeout=60)
        assert r.returncode == 0, r.stderr
        lines = r.stdout.splitlines()
        return [lines[0].split()[1], lines[-2], lines[-1]]

    assert probe() == ["True", "True", "True"]  # cold: validated the files
    assert probe() == ["False", "False", "True"]  # warm: pydantic only once a spec is asked for


def test_the_key_covers_the_code_that_shapes_the_pickle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # An editable install keeps its version while ModelEntry or Period change under it.
    path = tmp_path / "acme.toml"
    path.write_text(acme(), encoding="utf-8")
    src = tmp_path / "src"
    src.mkdir()
    for name in compiled_cache._CODE:
        target = src / "pricing" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((Path(compiled_cache.__file__).parent / name).read_bytes())
    monkeypatch.setattr(compiled_cache, "__file__", str(src / "pricing" / "compiled_cache.py"))
    before = compiled_cache.content_key([("override", path)])
    (src / "pricing" / "catalog.py").write_text("# ModelEntry gained a field\n", encoding="utf-8")
    assert compiled_cache.content_key([("override", path)]) != before


def test_a_cache_file_others_can_write_is_not_read(cache_dir: Path, no_build: Callable[[], None]) -> None:
    # Unpickling runs code the file names: a file a stranger could have written is a miss.
    load_catalog(overrides=False)
    cache = cache_dir / compiled_cache.FILE_NAME
    assert cache.stat().st_mode & 0o777 == 0o600
    key = cache.read_bytes()[len(b"costpanel-catalog\n"):][:32]
    assert compiled_cache.load(key) is not None
    cache.chmod(0o622)
    assert compiled_cache.load(key) is None
