"""Run the kefu CLI from a separate process, starting on a signal, for multi-user tests.

    python kefu_race.py GO_FILE REPEAT KEFU_ARGS...

The process imports kefu first, writes GO_FILE.ready.<pid>, then waits until GO_FILE exists,
so several processes started together reach the database within a millisecond of each other. It then runs
`kefu KEFU_ARGS` REPEAT times in a row (each its own command and transaction; `{i}` in an
argument is replaced by the run number) and exits with the first non-zero exit status, or 0.
"""

from __future__ import annotations

import os
import sys
import time

from typer.main import get_command

from kefu.cli import app


def main() -> int:
    go_file, repeat, args = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    # Tell the test this process is loaded and waiting.
    with open(f"{go_file}.ready.{os.getpid()}", "w"):
        pass
    deadline = time.monotonic() + 60
    while not os.path.exists(go_file):
        if time.monotonic() > deadline:
            print("kefu_race: no go signal within 60 s", file=sys.stderr)
            return 99
        time.sleep(0.0005)
    command = get_command(app)  # built once: Typer rebuilds it on every app() call
    worst = 0
    for i in range(repeat):
        try:
            command.main([a.replace("{i}", str(i)) for a in args], prog_name="kefu")
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if code and not worst:
            worst = code
    return worst


if __name__ == "__main__":
    sys.exit(main())
