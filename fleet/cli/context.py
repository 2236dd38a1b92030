"""Shared CLI state and rendering: text for people, one JSON document for machines."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click

from fleet.errors import FleetError


@dataclass
class Settings:
    registry: str = "inventories/registry"
    output: str = "text"
    verbose: int = 0

    @property
    def json(self) -> bool:
        return self.output == "json"


def settings() -> Settings:
    ctx = click.get_current_context()
    obj = ctx.find_object(Settings)
    return obj if obj is not None else Settings()


def use_color() -> bool:
    """Colour and progress only on a TTY and never with NO_COLOR."""
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


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


def report_error(exc: FleetError, args: list[str]) -> None:
    if "json" in args and ("--output" in args or "-o" in args):
        click.echo(json.dumps(exc.to_dict(), indent=2, sort_keys=True))
    click.echo(f"error: {exc.message}", err=True)
