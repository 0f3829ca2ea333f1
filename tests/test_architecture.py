"""The shape of the code (docs/ARCHITECTURE.md, "Layers" and "Invariants"): the core runs without
any interface, the interfaces hold no queries of their own, and only the door changes a status.
"""

from __future__ import annotations

import ast
import json
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import kefu.core

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = ("textual", "typer", "rich", "click", "kefu.tui", "kefu.cli")
CORE_MODULES = sorted(
    f"kefu.core.{m.name}" for m in pkgutil.iter_modules(kefu.core.__path__) if m.name != "migrations"
)


def test_core_modules_are_found() -> None:
    assert {"kefu.core.services", "kefu.core.workflow", "kefu.core.db"} <= set(CORE_MODULES)


def test_importing_the_core_loads_no_interface() -> None:
    """Import every core module in a fresh interpreter and look at what came along."""
    probe = (
        "import importlib, json, sys\n"
        f"for name in {CORE_MODULES!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    leaked = sorted(name for name in loaded if any(name == f or name.startswith(f + ".") for f in FORBIDDEN))
    assert leaked == [], f"kefu.core pulled in {leaked}"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against kefu.core's layout
                base = "kefu.core" if path.parent.name == "core" else "kefu.core.x"
                parts = base.split(".")[: len(base.split(".")) - node.level + 1]
                names.add(".".join([*parts, node.module or ""]).rstrip("."))
            elif node.module:
                names.add(node.module)
    return names


def test_core_sources_import_no_interface_even_lazily() -> None:
    """Imports inside functions do not show up in sys.modules until called: read the source."""
    offenders = []
    for path in sorted((ROOT / "core").rglob("*.py")):
        for name in _imports(path):
            top = name.replace("kefu.", "", 1) if name.startswith("kefu.") else name
            if any(name == f or name.startswith(f + ".") for f in FORBIDDEN) or top in (
                "tui",
                "cli",
            ):
                offenders.append(f"{path.relative_to(ROOT)}: {name}")
    assert offenders == []


QUERY_BUILDERS = {"select", "text", "func", "col", "or_", "and_", "update", "delete", "insert",
                  "exists", "literal_column"}  # fmt: skip
RUNNERS = {"exec", "execute", "exec_driver_sql", "scalars", "scalar"}


def _query_code(path: Path, root: Path = ROOT) -> list[str]:
    """Query builders imported from SQLAlchemy / SQLModel, and statements run on a session or
    connection (read from the syntax tree, so a local helper named `select` is no offence)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in (
            "sqlalchemy",
            "sqlmodel",
        ):
            found += [
                f"{node.lineno}: imports {a.name} from {node.module}"
                for a in node.names
                if a.name in QUERY_BUILDERS
            ]
        elif (
            isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in RUNNERS
        ):
            found.append(f"{node.lineno}: .{node.func.attr}(...)")
    return [f"{path.relative_to(root)}:{item}" for item in found]


def test_interfaces_hold_no_queries() -> None:
    """Queries live in core; the CLI and the TUI call core functions."""
    sources = [ROOT / "cli.py", *sorted((ROOT / "tui").rglob("*.py"))]
    offenders = [item for path in sources for item in _query_code(path)]
    assert offenders == []


def test_the_query_check_can_fail(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from sqlmodel import Session, select\n"
        "def text(x):\n    return x\n"
        "def show(session: Session, Case):\n    return session.exec(select(Case)).all()\n"
    )
    assert _query_code(probe, tmp_path) == [
        "probe.py:1: imports select from sqlmodel",
        "probe.py:5: .exec(...)",
    ]


def test_no_naive_clock_in_core() -> None:
    """`now` is passed in; the core never reads the wall clock or builds naive datetimes."""
    pattern = re.compile(r"datetime\.now\(\)|datetime\.utcnow\(|date\.today\(|time\.time\(")
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "core").rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if pattern.search(line)
    ]
    assert offenders == []


def _status_writes(path: Path, root: Path = ROOT) -> list[str]:
    """Where a file assigns a case's status (`case.status = ...`, `move.set(status=...)`)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[ast.expr] = list(node.targets) if isinstance(node, ast.Assign) else []
        targets += [node.target] if isinstance(node, ast.AugAssign | ast.AnnAssign) else []
        for target in targets:
            if (
                isinstance(target, ast.Attribute)
                and target.attr == "status"
                and isinstance(target.value, ast.Name)
                and "case" in target.value.id.lower()
            ):
                found.append(f"{path.relative_to(root)}:{node.lineno}")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "set":
            if any(k.arg == "status" for k in node.keywords):
                found.append(f"{path.relative_to(root)}:{node.lineno}")
    return found


def test_only_the_door_sets_a_case_status() -> None:
    """`case.status = ...` is written in kefu.core.lifecycle only (docs/ARCHITECTURE.md,
    invariant 1); an intake plan sets its first status in kefu.core.intake as a value."""
    sources = [ROOT / "cli.py", *sorted((ROOT / "core").rglob("*.py")), *sorted((ROOT / "tui").rglob("*.py"))]
    offenders = [item for path in sources if path.name != "lifecycle.py" for item in _status_writes(path)]
    assert offenders == []
    assert _status_writes(ROOT / "core" / "lifecycle.py"), "the door itself must be found"


def test_the_status_check_can_fail(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("def close(case):\n    case.status = 'closed'\n")
    assert _status_writes(probe, tmp_path) == ["probe.py:2"]


def test_every_package_is_installed() -> None:
    """A plain `pip install .` ships every package of the source tree (the editable install the
    suite runs on would not notice one missing from pyproject.toml)."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {"kefu"} | {
        "kefu." + ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("core", "tui")
        for init in (ROOT / top).rglob("__init__.py")
    }
    assert found == listed


def test_every_import_is_a_declared_dependency() -> None:
    """What the product imports (core, tui, cli, migrations — lazily too) is the standard
    library, kefu itself, or a distribution named in [project] dependencies: not one that only
    the test extras or another package happen to bring (`click` came with typer once)."""
    import tomllib
    from importlib.metadata import packages_distributions

    declared = {
        re.split(r"[<>=!~\[; ]", item, maxsplit=1)[0].lower().replace("_", "-")
        for item in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    }
    owners = packages_distributions()
    sources = [ROOT / "cli.py", *(ROOT / "core").rglob("*.py"), *(ROOT / "tui").rglob("*.py")]
    undeclared: dict[str, set[str]] = {}
    for source in sources:
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top == "kefu" or top in sys.stdlib_module_names:
                    continue
                dists = {d.lower().replace("_", "-") for d in owners.get(top, [top])}
                if not dists & declared:
                    undeclared.setdefault(top, set()).add(str(source.relative_to(ROOT)))
    assert not undeclared, f"imported but not declared in [project] dependencies: {undeclared}"


def _said_before_commit(source: str) -> list[int]:
    """Lines of `cli.py` that print inside a `with acting(ctx, write=True)` block, i.e. before
    the transaction commits (a full disk would then contradict what was said)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.With):
            continue
        writing = any(
            isinstance(item.context_expr, ast.Call)
            and getattr(item.context_expr.func, "id", None) == "acting"
            and any(
                k.arg == "write" and getattr(k.value, "value", None) is True
                for k in item.context_expr.keywords
            )
            for item in node.items
        )
        if not writing:
            continue
        for sub in ast.walk(node):
            if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute | ast.Name):
                name = sub.func.attr if isinstance(sub.func, ast.Attribute) else sub.func.id
                owner = getattr(getattr(sub.func, "value", None), "id", "")
                if (name == "print" and owner in ("err", "out")) or name in ("echo", "print_json"):
                    found.append(sub.lineno)
    return found


def test_nothing_is_said_done_before_it_is_committed() -> None:
    assert _said_before_commit((ROOT / "cli.py").read_text(encoding="utf-8")) == []


def test_the_commit_check_can_fail() -> None:
    sample = "with acting(ctx, write=True) as (session, actor):\n    do()\n    err.print('Added')\n"
    assert _said_before_commit(sample) == [3]


COMMAND_PROBE = (
    "import json, sys\n"
    "from kefu.cli import main\n"
    "sys.argv = ['kefu', *json.loads(sys.argv[1])]\n"
    "try:\n"
    "    main()\n"
    "except SystemExit:\n"
    "    pass\n"
    "loaded = [n for n, m in sys.modules.items() if type(m).__name__ != '_LazyModule']  # not yet used\n"
    "print(json.dumps(sorted(loaded)), file=sys.stderr)\n"
)


def _loaded_by(*args: str) -> set[str]:
    """The modules a whole `kefu ARGS` command imported, in a fresh interpreter."""
    result = subprocess.run(
        [sys.executable, "-c", COMMAND_PROBE, json.dumps(list(args))],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )  # fmt: skip
    return {name.split(".")[0] for name in json.loads(result.stderr.strip().splitlines()[-1])} | set(
        json.loads(result.stderr.strip().splitlines()[-1])
    )


def test_a_command_imports_only_what_it_uses(tmp_path: Path) -> None:
    """`kefu --version` and `--help` start in a fraction of a second: no ORM, no policy models, no
    TUI; a read imports the ORM but neither the TUI, Alembic nor the importer (issue 14)."""
    # (Typer itself may import pydantic to coerce an option: kefu's own models are what count.)
    heavy = {
        "sqlalchemy",
        "sqlmodel",
        "kefu.core.policy",
        "textual",
        "alembic",
        "phonenumbers",
        "kefu.core.importer",
    }
    for args in (["--version"], ["--help"], ["case", "--help"]):
        assert _loaded_by(*args) & heavy == set(), args
    db = str(tmp_path / "kefu.db")
    subprocess.run([sys.executable, "-m", "kefu.cli", "--db", db, "init", "--profile", "express"],
                   capture_output=True, cwd=ROOT, check=False)  # fmt: skip
    read = _loaded_by("--db", db, "case", "list", "--json")
    assert "sqlalchemy" in read, "the probe did not run the read"
    assert read & {"textual", "alembic", "kefu.core.importer", "kefu.tui"} == set()


LAZY_PROBE = """
import sys, threading
import kefu.cli, kefu.core
from kefu.core import lazy
assert kefu.core.intake is sys.modules["kefu.core.intake"]  # the package's attribute is set
lazy.load_all()  # what KefuApp does before its worker threads start
failed = []
def use():
    try:
        kefu.cli.intake.create_case, kefu.cli.queues.queue_page, kefu.cli.views.case_summary
    except AttributeError as exc:
        failed.append(str(exc))
threads = [threading.Thread(target=use) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
print(failed)
"""


def test_lazy_modules_are_whole_once_loaded_for_threads() -> None:
    """The TUI loads the CLI's lazy modules before its workers (threads) use them: before
    Python 3.12.3 two threads loading one lazy module could see it half made."""
    done = subprocess.run([sys.executable, "-c", LAZY_PROBE], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
