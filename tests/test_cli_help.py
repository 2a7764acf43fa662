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
