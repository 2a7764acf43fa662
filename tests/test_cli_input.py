"""Bad input on the command line: one line naming the flag and the value, exit 2, nothing created,
never a traceback. Numbers follow one rule: ASCII digits with ``_`` or thousands ``,``."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from cli_run import costpanel

from costpanel.digits import parse_decimal, parse_whole


def usage_error(r: subprocess.CompletedProcess[str], flag: str, value: str) -> None:
    assert r.returncode == 2, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    (line,) = r.stderr.splitlines()  # one line: no usage block burying it
    assert f"argument {flag}: " in line and repr(value) in line, r.stderr
    assert r.stdout == ""


@pytest.mark.parametrize(("args", "said_by"), [(["price", "gpt-4o", "--bogus", "3"], "costpanel price"),
                                               (["pricing", "list", "--bogus"], "costpanel pricing list"),
                                               (["--bogus"], "costpanel")])
def test_an_unknown_flag_is_said_by_the_command_it_was_given_to(args: list[str], said_by: str) -> None:
    r = costpanel(*args)
    assert r.returncode == 2 and r.stdout == ""
    (line,) = r.stderr.splitlines()
    assert line.startswith(f"{said_by}: error: unrecognized arguments: --bogus") and line.endswith(
        f"(see {said_by} --help)"), line


# -- one rule for numbers ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "value"), [("1200", 1200), ("1_200", 1200), ("1,200", 1200),
                                             ("12,345,678", 12_345_678), (" 7 ", 7), ("0", 0)])
def test_whole_numbers_in_ascii_digits_with_separators(text: str, value: int) -> None:
    assert parse_whole(text) == value


@pytest.mark.parametrize("text", ["٣", "７", "1,2", "1__2", "_1", "1_", "", "-3", "1.5", "1e3", "²"])
def test_anything_else_is_not_a_whole_number(text: str) -> None:
    with pytest.raises(ValueError, match="digits 0-9") as info:
        parse_whole(text)
    assert repr(text) in str(info.value)


def test_a_signed_whole_number_takes_a_minus() -> None:
    assert parse_whole("-12", signed=True) == -12
    with pytest.raises(ValueError):
        parse_whole("-٣", signed=True)


@pytest.mark.parametrize("text", ["nan", "inf", "Infinity", "-1", "1e3", "٣.5", "5.5.5", ".", "1,00"])
def test_decimals_are_finite_ascii_and_without_exponent(text: str) -> None:
    with pytest.raises(ValueError, match="digits 0-9"):
        parse_decimal(text)


@pytest.mark.parametrize("value", ["٣", "７", "1,5", "²"])
@pytest.mark.parametrize("flag", ["--input", "--output", "--cache-read", "--requests"])
def test_price_refuses_non_ascii_digits(flag: str, value: str) -> None:
    usage_error(costpanel("price", "gpt-4o", flag, value), flag, value)


def test_price_still_takes_the_documented_separators() -> None:
    r = costpanel("price", "gpt-4o", "--input", "1_200", "--output", "1,000", "--json")
    assert r.returncode == 0, r.stderr
    assert '"input": 1200' in r.stdout and '"output": 1000' in r.stdout


def test_price_refuses_a_non_ascii_date() -> None:
    usage_error(costpanel("price", "gpt-4o", "--at", "２０２５-06-01"), "--at", "２０２５-06-01")


# -- demo: every flag checked before a call is written -------------------------------------------------------
@pytest.mark.parametrize(("flag", "value"), [
    ("--seconds", "nan"), ("--seconds", "inf"), ("--seconds", "0"), ("--seconds", "-1"), ("--seconds", "1e9"),
    ("--rate", "nan"), ("--rate", "inf"), ("--rate", "0"), ("--rate", "٣"),
    ("--frames", "0"), ("--frames", "1.5"), ("--frames", "７"),
    ("--seed", "x"), ("--seed", "٣"),
])
def test_demo_refuses_bad_numbers_before_anything_is_written(flag: str, value: str, tmp_path: Path,
                                                              isolated_user_dirs: Path) -> None:
    db = tmp_path / "ledger.sqlite3"
    r = costpanel("demo", "--headless", "--seconds", "0.2", "--db", str(db), flag, value)
    usage_error(r, flag, value)
    assert not db.exists() and list(isolated_user_dirs.iterdir()) == []


@pytest.mark.parametrize("value", ["0", "-1", "0.0", "-0.5"])
def test_a_zero_or_negative_duration_is_told_the_same_rule(value: str) -> None:
    """0 and -1 break the same rule: one wording for both (-1 was told ">= 0", which 0 satisfies)."""
    r = costpanel("watch", "--headless", "--no-ledger", "--seconds", value)
    assert r.returncode == 2 and "expected a number > 0" in r.stderr and ">= 0" not in r.stderr, r.stderr


@pytest.mark.parametrize("name", ["shot.jpg", "shot", "shot.png.txt", "folder", "folder/"])
def test_demo_screenshot_must_be_a_png_file_and_is_checked_before_anything_is_created(
        name: str, tmp_path: Path, isolated_user_dirs: Path) -> None:
    (tmp_path / "folder").mkdir()
    db = tmp_path / "ledger.sqlite3"
    target = str(tmp_path / name) + ("/" if name.endswith("/") else "")
    r = costpanel("demo", "--db", str(db), "--screenshot", target, env={"DISPLAY": ""})
    usage_error(r, "--screenshot", target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder"]
    assert list((tmp_path / "folder").iterdir()) == [] and list(isolated_user_dirs.iterdir()) == []


def test_demo_with_no_display_leaves_no_ledger_behind(tmp_path: Path) -> None:
    db = tmp_path / "ledger.sqlite3"
    r = costpanel("demo", "--db", str(db), "--screenshot", str(tmp_path / "shot.png"),
                  env={"DISPLAY": "", "WAYLAND_DISPLAY": ""})
    assert r.returncode == 2 and "cannot open the panel" in r.stderr, r.stderr
    assert list(tmp_path.iterdir()) == []


def test_demo_seed_may_be_negative() -> None:
    r = costpanel("demo", "--headless", "--seconds", "0.2", "--no-ledger", "--seed", "-3")
    assert r.returncode == 0, r.stderr


def test_demo_screenshot_with_headless_is_a_usage_error(tmp_path: Path) -> None:
    db = tmp_path / "ledger.sqlite3"
    r = costpanel("demo", "--headless", "--db", str(db), "--screenshot", str(tmp_path / "shot.png"))
    assert r.returncode == 2 and "leave out --headless" in r.stderr and "Traceback" not in r.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("locked", ["file", "folder"])
def test_a_screenshot_that_cannot_be_written_is_refused_before_anything_runs(tmp_path: Path, locked: str) -> None:
    from cli_run import immutable

    folder = tmp_path / "shots"
    folder.mkdir()
    old = folder / "old.png"
    old.write_bytes(b"an earlier picture")
    target = old if locked == "file" else folder / "new.png"
    with immutable(old if locked == "file" else folder):
        r = costpanel("demo", "--screenshot", str(target))
    usage_error(r, "--screenshot", str(target))
    assert "cannot be written" in r.stderr
    assert old.read_bytes() == b"an earlier picture" and sorted(p.name for p in folder.iterdir()) == ["old.png"]


@pytest.mark.parametrize(("args", "suggestion"), [
    (["reprot"], "; did you mean 'report'?"),
    (["report", "--by", "modle"], "; did you mean 'model'?"),
    (["import", "--source", "claude"], "; did you mean 'claude-code'?"),
    (["xyz"], ""),  # nothing near: no guess
])
def test_a_mistyped_choice_is_one_line_with_the_nearest_choice(args: list[str], suggestion: str) -> None:
    r = costpanel(*args)
    assert r.returncode == 2 and r.stdout == "", r.stdout + r.stderr
    (line,) = r.stderr.splitlines()
    assert f"invalid choice: '{args[-1]}'" in line and line.endswith(f"){suggestion} (see {line.split(':')[0]} --help)")
    assert ("did you mean" in line) == bool(suggestion)
