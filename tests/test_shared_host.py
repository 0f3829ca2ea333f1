"""One desk file shared by real OS users on one host (issue 12), run as those users.

The test creates a group and three users (two members whose primary group is their own, as on
a real host, and one outsider), and runs `kefu` as each of them with `runuser`, under the
umasks people have (022, 002). Before: `kefu init` made the file 0644, and after one *read* by
another member SQLite left `-wal` / `-shm` owned by that member, so nobody else could write
("attempt to write a readonly database") while `doctor` said all was well.

Needs root (CI runs as root) to create users; kefu runs as them through the system's Python of
the same minor version with this environment's packages (the test environment's own Python
may live in a directory other users cannot enter).
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import stat
import subprocess
import sys
import sysconfig
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import kefu

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="creates OS users: needs root (CI runs as root)")

BOOT = (
    "import site, sys; site.addsitedir(sys.argv.pop(1)); sys.argv[0] = 'kefu'; "
    "from kefu.cli import main; main()"
)


def _python() -> str:
    """A Python of this minor version that any user may run."""
    minor = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in (
        sys.executable,
        shutil.which(minor, path="/usr/local/bin:/usr/bin"),
        f"/usr/bin/{minor}",
    ):
        if candidate and _everyone_can_run(Path(candidate)):
            return str(candidate)
    pytest.fail(f"no {minor} that other users can run (needed to run kefu as them)")


def _everyone_can_run(path: Path) -> bool:
    try:
        real = path.resolve(strict=True)
    except OSError:
        return False
    return all(p.stat().st_mode & stat.S_IXOTH for p in [real, *real.parents])


@dataclass
class Host:
    group: str
    admin: str  # a member: creates the desk
    agent: str  # a member
    outsider: str  # not in the group
    folder: Path  # the desk's directory, owned by admin
    python: str
    site: str

    @property
    def db(self) -> Path:
        return self.folder / "kefu.db"

    def kefu(self, user: str, *args: str, umask: str = "022") -> subprocess.CompletedProcess[str]:
        env = {
            "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
            "KEFU_DB": str(self.db),
            "KEFU_LANG": "en",
            "HOME": str(self.folder),
        }
        command = ["runuser", "-u", user, "--", "sh", "-c", f'umask {umask}; exec "$@"', "sh",
                   self.python, "-I", "-S", "-c", BOOT, self.site, *args]  # fmt: skip
        return subprocess.run(command, capture_output=True, text=True, env=env, cwd=self.folder, timeout=120)

    def ok(self, user: str, *args: str, umask: str = "022") -> str:
        done = self.kefu(user, *args, umask=umask)
        assert done.returncode == 0, (user, args, done.stdout, done.stderr)
        return done.stdout


def _open_the_way(paths: list[Path]) -> list[tuple[Path, int]]:
    """Let other users enter the directories down to `paths` (restored afterwards)."""
    changed = []
    for path in paths:
        for folder in [path, *path.parents]:
            mode = folder.stat().st_mode
            if folder.is_dir() and not mode & stat.S_IXOTH:
                os.chmod(folder, stat.S_IMODE(mode) | stat.S_IXOTH)
                changed.append((folder, stat.S_IMODE(mode)))
    return changed


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Host]:
    tag = uuid.uuid4().hex[:6]
    group, admin, agent, outsider = f"kefu-{tag}", f"ka{tag}", f"kb{tag}", f"kx{tag}"
    subprocess.run(["groupadd", group], check=True)
    for user, extra in ((admin, ["-G", group]), (agent, ["-G", group]), (outsider, [])):
        subprocess.run(["useradd", "-M", "-U", "-s", "/bin/sh", *extra, user], check=True)
    base = Path(f"/tmp/kefu-host-{tag}")
    base.mkdir(mode=0o755)
    folder = base / "desk"
    folder.mkdir(mode=0o755)
    os.chown(folder, pwd.getpwnam(admin).pw_uid, pwd.getpwnam(admin).pw_gid)
    site = sysconfig.get_paths()["purelib"]
    restored = _open_the_way([Path(site), Path(kefu.__file__).resolve().parent])
    try:
        yield Host(group, admin, agent, outsider, folder, _python(), site)
    finally:
        for path, mode in reversed(restored):
            os.chmod(path, mode)
        shutil.rmtree(base, ignore_errors=True)
        for user in (admin, agent, outsider):
            subprocess.run(["userdel", user], check=False, capture_output=True)
        subprocess.run(["groupdel", group], check=False, capture_output=True)


def _mode_group(path: Path) -> tuple[str, str]:
    st = path.stat()
    return f"{stat.S_IMODE(st.st_mode):04o}", grp.getgrgid(st.st_gid).gr_name


def test_a_group_desk_is_written_by_every_member_in_turns_and_at_once(host: Host) -> None:
    host.ok(host.admin, "init", "--profile", "express", "--group", host.group)
    assert _mode_group(host.db) == ("0660", host.group)
    folder = host.folder.stat()
    assert folder.st_mode & stat.S_ISGID and grp.getgrgid(folder.st_gid).gr_name == host.group
    host.ok(host.admin, "user", "add", host.agent, "--role", "agent", "--department", "cs")
    host.ok(host.admin, "user", "add", host.outsider, "--role", "agent")
    # The member's read makes SQLite create -wal / -shm: they stay in the group, writable by all.
    host.ok(host.agent, "case", "list")
    new = ["case", "new", "--channel", "hotline", "-d", "快递三天没更新", "--phone", "13800001111"]
    host.ok(host.admin, *new, umask="002")
    host.ok(host.agent, *new, umask="022")
    # Both at once, each under the umask its shell has.
    results = _at_once(host, [(host.admin, "002"), (host.agent, "022")], [*new[:-1], "13900002222"], times=8)
    assert all(code == 0 for code, _ in results), results
    listed = host.ok(host.admin, "case", "list", "--json", "--limit", "100")
    assert listed.count('"code"') == 2 + 16
    for companion in (Path(f"{host.db}-wal"), Path(f"{host.db}-shm")):
        if companion.exists():
            assert _mode_group(companion) == ("0660", host.group)
    # Who is not in the group cannot read the desk at all: one sentence, exit 3, no traceback.
    refused = host.kefu(host.outsider, "case", "list")
    assert refused.returncode == 3 and "Traceback" not in refused.stderr, refused.stderr
    assert f"is shared by the group {host.group} (mode 0660) and you are not in it" in refused.stderr
    # A backup is as private as the desk; doctor says how the desk is shared.
    host.ok(host.admin, "backup", "--to", str(host.folder / "backup.db"))
    assert _mode_group(host.folder / "backup.db") == ("0660", host.group)
    doctor = host.ok(host.agent, "doctor")
    assert f"shared by the group {host.group}" in doctor


def _at_once(host: Host, runs: list[tuple[str, str]], args: list[str], times: int) -> list[tuple[int, str]]:
    """Each (user, umask) runs `args` `times` times in a row, all users at the same time."""
    env = {
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
        "KEFU_DB": str(host.db),
        "KEFU_LANG": "en",
        "HOME": str(host.folder),
    }
    loop = " && ".join(['"$@"'] * times)
    procs = [
        subprocess.Popen(
            [
                "runuser",
                "-u",
                user,
                "--",
                "sh",
                "-c",
                f"umask {umask}; {loop}",
                "sh",
                host.python,
                "-I",
                "-S",
                "-c",
                BOOT,
                host.site,
                *args,
            ],  # fmt: skip
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=host.folder,
        )  # fmt: skip
        for user, umask in runs
    ]
    out = []
    for proc in procs:
        _, stderr = proc.communicate(timeout=300)
        out.append((proc.returncode, stderr))
    return out


def test_a_companion_another_user_left_is_refused_and_doctor_fix_mends_it(host: Host) -> None:
    """As a kefu before this one (or a stray sqlite3) left it: the member's -wal in their own
    group, 0644. kefu names the owner and the fix instead of failing on the first write."""
    if not host.db.exists():
        host.ok(host.admin, "init", "--profile", "express", "--group", host.group)
    wal = Path(f"{host.db}-wal")
    wal.touch()
    agent = pwd.getpwnam(host.agent)
    os.chown(wal, agent.pw_uid, agent.pw_gid)
    os.chmod(wal, 0o644)
    refused = host.kefu(host.admin, "case", "list")
    assert refused.returncode == 3, refused.stderr
    assert f"belongs to {host.agent}:{host.agent} with mode 0644" in refused.stderr
    assert "kefu doctor --fix" in refused.stderr
    doctor = host.kefu(host.admin, "doctor")
    assert doctor.returncode == 1 and f"belongs to {host.agent}" in doctor.stdout
    # The owner's own kefu mends it on opening the desk (doctor --fix, or any command).
    assert "ok  permissions: shared by the group" in host.ok(host.agent, "doctor", "--fix")
    if wal.exists():  # SQLite removes an empty -wal when the last connection closes
        assert _mode_group(wal) == ("0660", host.group)
    host.ok(host.admin, "case", "list")


def test_a_personal_desk_is_its_owners_only(host: Host) -> None:
    personal = host.folder / "mine"
    personal.mkdir()
    os.chown(personal, pwd.getpwnam(host.agent).pw_uid, -1)
    db = personal / "kefu.db"
    host.ok(host.agent, "--db", str(db), "init", "--profile", "express")
    assert f"{stat.S_IMODE(db.stat().st_mode):04o}" == "0600"
    refused = host.kefu(host.admin, "--db", str(db), "case", "list")
    assert refused.returncode == 3 and "Traceback" not in refused.stderr, refused.stderr
    assert f"is {host.agent}'s own desk (mode 0600): you may not open it" in refused.stderr
    host.ok(host.agent, "--db", str(db), "backup", "--to", str(personal / "b.db"))
    assert f"{stat.S_IMODE((personal / 'b.db').stat().st_mode):04o}" == "0600"
    # Made world-readable by hand: doctor says so, and --fix (by the owner) mends it.
    os.chmod(db, 0o644)
    doctor = host.kefu(host.agent, "--db", str(db), "doctor")
    assert doctor.returncode == 1 and "can be read by anyone on this host" in doctor.stdout
    assert "mended: 1" in host.ok(host.agent, "--db", str(db), "doctor", "--fix")
    assert f"{stat.S_IMODE(db.stat().st_mode):04o}" == "0600"
