"""The ``costpanel`` command: thin argparse wrappers over library functions, returning exit codes."""

from .main import build_parser, main

__all__ = ["build_parser", "main"]
