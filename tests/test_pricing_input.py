"""Price files and pricing commands with bad input: one line naming the file, the right exit code,
nothing left behind; overrides that replace a bundled model are said; providers in any case."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from cli_run import costpanel as run_costpanel
from cli_run import immutable, one_line_error

from costpanel.pricing import PricingError, load_catalog
from costpanel.pricing.files import write_override

LITELLM_SAMPLE = Path(__file__).parent / "data" / "litellm" / "model_prices_sample.json"
NOT_UTF8 = b'provider = "acme"\nname = "Acm\xe9"\n'  # Latin-1 e-acute: an editor's legacy encoding
GPT_4O_OVERRIDE = """provider = "acme"
name = "Acme"
sources = ["https://acme.example/p"]
checked = 2026-01-01

[[models]]
id = "gpt-4o"

[[models.prices]]
effective = 2025-01-01
source = "https://acme.example/p"
input = 1
output = 2
"""


def costpanel(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_costpanel(*args, env=env, columns=300)


# -- import-litellm ----------------------------------------------------------------------------------------
def test_import_litellm_onto_a_folder_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    for target in (str(folder), str(folder) + "/"):
        r = costpanel("pricing", "import-litellm", str(LITELLM_SAMPLE), "-o", target)
        assert r.returncode == 2 and "Traceback" not in r.stderr
        assert "is a folder: give a file name" in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"] and list(folder.iterdir()) == []


@pytest.mark.parametrize(("name", "says"), [("nothere.json", "no such file"), ("", "a folder, not a file")])
def test_import_litellm_of_a_file_that_is_not_there_exits_2_in_one_line(tmp_path: Path, name: str, says: str) -> None:
    r = costpanel("pricing", "import-litellm", str(tmp_path / name), "-o", str(tmp_path / "out.toml"))
    assert r.returncode == 2
    assert one_line_error(r).endswith(f"{tmp_path / name if name else tmp_path}: {says}")
    assert not (tmp_path / "out.toml").exists()


def test_import_litellm_into_an_unwritable_folder_fails_on_one_line_and_leaves_no_temp_file(tmp_path: Path) -> None:
    folder = tmp_path / "prices"
    folder.mkdir()
    with immutable(folder):
        r = costpanel("pricing", "import-litellm", str(LITELLM_SAMPLE), "-o", str(folder / "litellm.toml"))
    assert r.returncode == 1
    assert f"cannot write {folder / 'litellm.toml'}" in one_line_error(r)
    assert list(folder.iterdir()) == []


def test_an_override_that_does_not_validate_is_not_written_and_its_temp_file_is_gone(tmp_path: Path) -> None:
    target = tmp_path / "litellm.toml"
    with pytest.raises(PricingError) as info:
        write_override(target, 'provider = "acme"\n')
    assert all(p.startswith(str(target)) for p in info.value.problems)  # named as the file it would be
    assert list(tmp_path.iterdir()) == []


def test_a_write_that_fails_at_the_end_leaves_no_temp_file(tmp_path: Path) -> None:
    (tmp_path / "taken.toml").mkdir()  # valid text, but the final rename cannot replace a folder
    with pytest.raises(OSError):
        write_override(tmp_path / "taken.toml", GPT_4O_OVERRIDE)
    assert [p.name for p in tmp_path.iterdir()] == ["taken.toml"]


def test_a_valid_override_is_written_whole(tmp_path: Path) -> None:
    write_override(tmp_path / "mine.toml", GPT_4O_OVERRIDE)
    assert (tmp_path / "mine.toml").read_text(encoding="utf-8") == GPT_4O_OVERRIDE
    assert [p.name for p in tmp_path.iterdir()] == ["mine.toml"]


# -- pricing check -----------------------------------------------------------------------------------------
def test_pricing_check_of_a_folder_says_it_is_a_folder(tmp_path: Path) -> None:
    r = costpanel("pricing", "check", str(tmp_path))
    assert r.returncode == 2
    line = one_line_error(r)
    assert f"{tmp_path} is a folder" in line and "no such file" not in line


def test_pricing_check_of_a_file_that_is_not_utf8_names_it(tmp_path: Path) -> None:
    bad = tmp_path / "latin1.toml"
    bad.write_bytes(NOT_UTF8)
    r = costpanel("pricing", "check", str(bad))
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert f"✗ {bad}: not UTF-8 text (byte 0xe9 at offset 29)" in r.stdout


@pytest.mark.parametrize("where", ["config", "env"])
def test_price_with_an_override_that_is_not_utf8_fails_on_one_line_naming_it(
        where: str, tmp_path: Path, isolated_user_dirs: Path) -> None:
    if where == "config":
        bad = isolated_user_dirs / "pricing" / "latin1.toml"
        bad.parent.mkdir()
        env = None
    else:
        bad = tmp_path / "latin1.toml"
        env = {"COSTPANEL_PRICING": str(bad)}
    bad.write_bytes(NOT_UTF8)
    r = costpanel("price", "gpt-4o", "--input", "10", env=env)
    assert r.returncode == 1
    assert one_line_error(r) == f"error: invalid pricing data: {bad}: not UTF-8 text (byte 0xe9 at offset 29): " \
                                "save it as UTF-8"
    with pytest.raises(PricingError, match="not UTF-8"):  # the API says the same
        load_catalog(extra=[bad])


def test_an_override_with_several_problems_lists_each_on_a_line_of_its_own(isolated_user_dirs: Path) -> None:
    """As `pricing check` lists them: a head line, then one line a problem (not one line with
    literal backslash-n escapes in it)."""
    bad = isolated_user_dirs / "pricing" / "bad.toml"
    bad.parent.mkdir()
    bad.write_text('provider = "acme"\nname = "Acme"\n')  # no sources, no checked date, no models
    r = costpanel("price", "gpt-4o", "--input", "10")
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    head, *problems = r.stderr.strip().splitlines()
    assert head.startswith("error: invalid pricing data (") and head.endswith(" problems):"), head
    assert len(problems) == int(head.split("(")[1].split()[0]) >= 2
    assert all(line.startswith(f"  {bad}") for line in problems) and "\\n" not in r.stderr, r.stderr


def test_pricing_check_notes_an_override_that_replaces_a_bundled_model(isolated_user_dirs: Path) -> None:
    override = isolated_user_dirs / "pricing" / "x.toml"
    override.parent.mkdir()
    override.write_text(GPT_4O_OVERRIDE, encoding="utf-8")
    r = costpanel("pricing", "check")
    assert r.returncode == 0, r.stdout + r.stderr
    # an override replaces the whole model: the variants the bundled one offered and it does not are named
    assert (f"note: {override} overrides bundled model gpt-4o; it no longer offers the variants batch, fast, "
            "priority (calls under them are counted unpriced: give them in your file, as the bundled one does, "
            "to keep them)") in r.stdout.splitlines()
    assert "✓" in r.stdout
    r = costpanel("pricing", "check", str(override))  # the same file given on the command line
    assert r.returncode == 0 and f"note: {override} overrides bundled model gpt-4o" in r.stdout
    kept = override.read_text(encoding="utf-8") + "[models.prices.variants.batch]\nmultiplier = 0.5\n" \
        "[models.prices.variants.priority]\nmultiplier = 2\n"
    override.write_text(kept, encoding="utf-8")
    r = costpanel("pricing", "check")
    assert f"note: {override} overrides bundled model gpt-4o; it no longer offers the variants fast (" in r.stdout


def test_pricing_check_of_a_file_meets_the_users_other_overrides_as_a_tracker_would(
        isolated_user_dirs: Path, tmp_path: Path) -> None:
    def model(model_id: str) -> str:  # an acme model that goes by acme-latest too
        return GPT_4O_OVERRIDE.replace('id = "gpt-4o"', f'id = "{model_id}"\naliases = ["acme-latest"]')

    installed = isolated_user_dirs / "pricing" / "a.toml"
    installed.parent.mkdir()
    installed.write_text(model("acme-1"), encoding="utf-8")
    new = tmp_path / "b.toml"  # a file about to be added: its alias is taken by the installed one
    new.write_text(model("acme-2"), encoding="utf-8")
    r = costpanel("pricing", "check", str(new))
    assert r.returncode == 1, r.stdout
    assert "'acme-latest'" in r.stdout and "acme-1" in r.stdout and "acme-2" in r.stdout
    r = costpanel("pricing", "check", str(installed))  # an installed file checked alone is not met twice
    assert r.returncode == 0, r.stdout


def test_pricing_check_without_overrides_has_no_notes() -> None:
    r = costpanel("pricing", "check")
    assert r.returncode == 0 and "note:" not in r.stdout


# -- pricing list ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("spelling", ["OpenAI", "OPENAI", "openai"])
def test_pricing_list_provider_is_case_insensitive(spelling: str) -> None:
    r = costpanel("pricing", "list", "--provider", spelling, "--json")
    assert r.returncode == 0, r.stderr
    providers = {m["provider"] for m in json.loads(r.stdout)["models"]}
    assert providers == {"openai"}


def test_import_litellm_never_replaces_a_file_it_was_not_told_to(tmp_path: Path) -> None:
    sample = Path(__file__).parent / "data" / "litellm" / "model_prices_sample.json"
    mine = tmp_path / "keep.toml"
    mine.write_text("precious\n")
    r = costpanel("pricing", "import-litellm", str(sample), "-o", str(mine))
    assert r.returncode == 1
    assert "exists: add --force" in one_line_error(r)
    assert mine.read_text() == "precious\n"
    other = tmp_path / "keep.csv"
    other.write_text("a,b\n")
    r = costpanel("pricing", "import-litellm", str(sample), "-o", str(other))
    assert r.returncode == 2 and "named .toml" in one_line_error(r)
    assert other.read_text() == "a,b\n"
    r = costpanel("pricing", "import-litellm", str(sample), "-o", str(mine), "--force")
    assert r.returncode == 0, r.stderr
    assert mine.read_text().startswith("# Generated by `costpanel pricing import-litellm`")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.csv", "keep.toml"]  # no temp file left
