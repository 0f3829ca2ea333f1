"""Run the kefu CLI from a separate process, starting on a signal, for multi-user tests.

    python kefu_race.py GO REPEAT KEFU_ARGS...

The process imports kefu, then runs `kefu KEFU_ARGS` REPEAT times in a row, each its own
command and transaction (`{i}` in an argument becomes the run number, `{v}` the i-th value of
$KEFU_RACE_VALUES, comma-separated). Before a run it announces itself by creating
`GO.ready<i>.<pid>` and waits until `GO.<i>` exists: only before run 0, or before every run
when $KEFU_RACE_EACH is set, so processes released together reach the database within a
millisecond of each other, round after round. Exits with the first non-zero exit status, or 0.
"""

from __future__ import annotations

import os
import sys
import time

from typer.main import get_command

from kefu.cli import app


def wait_for(go: str, i: int) -> None:
    with open(f"{go}.ready{i}.{os.getpid()}", "w"):
        pass
    deadline = time.monotonic() + 60
    while not os.path.exists(f"{go}.{i}"):
        if time.monotonic() > deadline:
            print(f"kefu_race: no go signal for run {i} within 60 s", file=sys.stderr)
            sys.exit(99)
        time.sleep(0.0005)


def main() -> int:
    go, repeat, args = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    values = [v for v in os.environ.get("KEFU_RACE_VALUES", "").split(",") if v]
    each = bool(os.environ.get("KEFU_RACE_EACH"))
    command = get_command(app)  # built once: Typer rebuilds it on every app() call
    worst = 0
    for i in range(repeat):
        if i == 0 or each:
            wait_for(go, i)
        value = values[i] if i < len(values) else ""
        try:
            command.main([a.replace("{i}", str(i)).replace("{v}", value) for a in args], prog_name="kefu")
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if code and not worst:
            worst = code
    return worst


if __name__ == "__main__":
    sys.exit(main())
