"""Shared CLI state and rendering: text for people, one JSON document for machines."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from fleet.errors import FleetError
from fleet.paths import Paths


@dataclass
class Settings:
    registry: str = "inventories/registry"
    output: str = "text"
    verbose: int = 0
    paths: Paths = field(default_factory=Paths.find)  # the project, found once per command

    @property
    def json(self) -> bool:
        return self.output == "json"

    @property
    def registry_path(self) -> Path:
        return Path(self.registry)


def settings() -> Settings:
    ctx = click.get_current_context()
    obj = ctx.find_object(Settings)
    return obj if obj is not None else Settings()


def use_color() -> bool:
    """Colour and progress only on a TTY and never with NO_COLOR."""
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


def print_table(
    columns: tuple[str, ...],
    rows: list[tuple[str, ...]],
    title: str,
    plain_title: bool = False,
    styles: list[str | None] | None = None,
) -> None:
    """A rich table on a colour TTY; otherwise aligned plain lines, for logs and grep
    (with the title as a first line when `plain_title`). `styles`: a rich style per row."""
    if use_color():
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title)
        for column in columns:
            table.add_column(column)
        for index, row in enumerate(rows):
            table.add_row(*row, style=styles[index] if styles else None)
        Console().print(table)
        return
    if plain_title:
        click.echo(title)
    widths = [max(len(str(r[i])) for r in [columns, *rows]) for i in range(len(columns))]
    for row in [columns, *rows]:
        click.echo("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


def emit(data: Any, text: Callable[[], None] | str | None = None) -> None:
    """Render a command's result: JSON on stdout with --output json, else the text renderer."""
    if settings().json:
        click.echo(json.dumps(data, indent=2, sort_keys=True, default=str))
    elif callable(text):
        text()
    elif text is not None:
        click.echo(text)


def log(message: str) -> None:
    """Progress and notes go to stderr so stdout stays one document."""
    click.echo(message, err=True)


def wants_json(args: list[str]) -> bool:
    """Did the command line ask for JSON (`--output json`, `--output=json`, `-o json`,
    `-ojson`)? Read from the raw arguments: an error may come before click parsed them."""
    for index, arg in enumerate(args):
        if arg == "--":
            break
        if arg in ("--output", "-o"):
            if index + 1 < len(args) and args[index + 1] == "json":
                return True
        elif arg in ("--output=json", "-ojson", "-o=json"):
            return True
    return False


def report_error(exc: FleetError, args: list[str]) -> None:
    """An error: one JSON document on stdout when JSON was asked for, the message on stderr."""
    if wants_json(args):
        click.echo(json.dumps(exc.to_dict(), indent=2, sort_keys=True))
    click.echo(f"error: {exc.message}", err=True)
