"""The `newswatch` console script.

Each `cmd_*.py` module in this package adds its commands through `register(app)`; shared
sub-apps (`kafka`, `topics`, `rules`) and helpers live in `common`. Errors from newswatch are
printed on one line; exit code 2 for bad input or config, 1 for runtime failures.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys


from newswatch.cli.common import SUB_APPS, app, err_console
from newswatch.errors import NewswatchError


def _load_commands() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("cmd_"):
            importlib.import_module(f"{__name__}.{info.name}").register(app)
    for name, (sub, help_text) in SUB_APPS.items():
        app.add_typer(sub, name=name, help=help_text)


_load_commands()


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI and turn newswatch errors into one-line messages."""
    try:
        app(args=argv, prog_name="newswatch")  # standalone: usage errors exit 2 by themselves
    except NewswatchError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", markup=True, highlight=False,
                          soft_wrap=True)
        return exc.exit_code
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except KeyboardInterrupt:
        return 130
    return 0


def entry() -> None:
    sys.exit(main())
