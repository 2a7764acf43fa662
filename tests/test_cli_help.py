"""``costpanel`` (or a command group) without what to do prints its help on stdout and exits 2."""

from __future__ import annotations

import pytest
from cli_run import costpanel


def test_no_arguments_prints_the_help_with_every_command() -> None:
    r = costpanel()
    assert r.returncode == 2  # nothing was done: a script must not read it as success
    assert r.stdout.startswith("usage: costpanel") and r.stderr == ""
    for command in ("price", "pricing", "demo", "report", "export", "budget", "import", "watch", "whatif"):
        assert f"    {command} " in r.stdout, command


@pytest.mark.parametrize(("group", "actions"), [("pricing", ("check", "list", "import-litellm")),
                                                ("budget", ("set", "show"))])
def test_a_command_group_alone_prints_its_actions(group: str, actions: tuple[str, ...]) -> None:
    r = costpanel(group)
    assert r.returncode == 2 and r.stderr == ""
    assert r.stdout.startswith(f"usage: costpanel {group}")
    for action in actions:
        assert action in r.stdout


@pytest.mark.parametrize("argv", [["import", "logs", "--json"], ["report", "--by", "model"], ["export", "x.csv"],
                                  ["watch", "--headless", "--seconds", "1"], ["pricing", "list"], ["budget", "show"],
                                  ["price", "gpt-4o", "--input", "10"], ["demo", "--seconds", "1"], ["whatif", "--model", "gpt-4o"]])
def test_a_command_parsed_with_its_parser_alone_reads_as_with_every_parser(argv: list[str]) -> None:
    """A command named first builds only its own parser (its module alone imported): the same
    arguments as the whole parser reads, and every command of the whole parser is known to it."""
    import argparse

    from costpanel.cli.main import COMMANDS, build_parser

    whole = build_parser()
    commands = next(a for a in whole._actions if isinstance(a, argparse._SubParsersAction))
    assert set(commands.choices) == set(COMMANDS)
    alone = build_parser(argv)
    assert len(next(a for a in alone._actions if isinstance(a, argparse._SubParsersAction)).choices) < len(COMMANDS)
    assert vars(alone.parse_args(argv)) | {"parser": None} == vars(whole.parse_args(argv)) | {"parser": None}
