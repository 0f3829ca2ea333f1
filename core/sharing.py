"""Who may read and write a file desk: the database, its `-wal` / `-shm`, its backups.

A desk is either **personal** — the file and its companions 0600, readable by its owner only —
or **shared by a group** (`kefu init --group NAME`): 0660 in that group, in a setgid directory
of that group, so that whichever member's process makes SQLite create a `-wal` / `-shm` (it
gives them the database's mode), the file is in the group and every member can write it. A
desk is shared when its file is group-readable and -writable; its group is the file's group.

Every open checks the companions (`check_open`): one of ours in the wrong group or mode is
mended at once; one another user left so that members cannot write is refused with a sentence
naming its owner and the fix, instead of SQLite's "attempt to write a readonly database" later.
`kefu doctor` lists what is wrong (`problems`) and `kefu doctor --fix` mends what this user may.
"""

from __future__ import annotations

import grp
import os
import pwd
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .errors import DatabaseError, InvalidInput, PermissionDenied
from .messages import Message

PERSONAL_MODE = 0o600
SHARED_MODE = 0o660
COMPANIONS = ("-wal", "-shm")


def companions(path: Path) -> list[Path]:
    return [Path(f"{path}{suffix}") for suffix in COMPANIONS]


def desk_gid(path: Path) -> int | None:
    """The group of a shared desk (None: a personal one, or no file)."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_gid if st.st_mode & 0o060 == 0o060 else None


def _owner(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def group_name(gid: int) -> str:
    """A group's name (its number when the host has no name for it)."""
    return _group(gid)


def _group(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def _mine(st: os.stat_result) -> bool:
    return os.geteuid() in (0, st.st_uid)


def group_id(name: str) -> int:
    """The group a desk is shared in; this user must belong to it (or be root)."""
    try:
        gid = grp.getgrnam(name).gr_gid
    except KeyError:
        raise InvalidInput(Message("group.unknown", group=name), field="group") from None
    if os.geteuid() != 0 and gid != os.getegid() and gid not in os.getgroups():
        raise PermissionDenied(Message("group.not_member", group=name))
    return gid


def _give(item: Path, gid: int | None) -> None:
    """The desk's mode for one file: 0660 in the desk's group, or 0600."""
    if gid is not None:
        os.chown(item, -1, gid)
    os.chmod(item, SHARED_MODE if gid is not None else PERSONAL_MODE)


def _folder_ok(st: os.stat_result, gid: int) -> bool:
    return bool(st.st_mode & stat.S_ISGID) and st.st_gid == gid


def _make_setgid(folder: Path, st: os.stat_result, gid: int) -> None:
    """The desk's directory in its group, group-writable and setgid (files made there stay in it)."""
    os.chown(folder, -1, gid)
    os.chmod(folder, stat.S_IMODE(st.st_mode) | stat.S_ISGID | 0o070)


def _writable_by_group(st: os.stat_result, gid: int) -> bool:
    return st.st_gid == gid and st.st_mode & 0o060 == 0o060


def _locked(item: Path, st: os.stat_result, gid: int) -> Message:
    """A companion the desk's group cannot write, with its owner, group and mode."""
    return Message(
        "desk.companion_locked",
        path=str(item),
        owner=_owner(st.st_uid),
        group=_group(st.st_gid),
        mode=f"{stat.S_IMODE(st.st_mode):04o}",
        desk_group=_group(gid),
    )


@contextmanager
def creating(path: Path, group: str | None) -> Iterator[None]:
    """Around the creation of a new desk at `path`: the directory made setgid in the group (a
    shared desk), no moment where the new file is readable by others, and the final modes."""
    gid = group_id(group) if group is not None else None
    folder = path.parent
    if gid is not None:
        st = folder.stat()
        if not _folder_ok(st, gid):
            if not _mine(st):
                raise PermissionDenied(Message("group.directory", folder=str(folder), group=group))
            _make_setgid(folder, st, gid)
    old = os.umask(0o007 if gid is not None else 0o077)
    try:
        yield
    finally:
        os.umask(old)
    for item in (path, *companions(path)):
        if item.exists():
            _give(item, gid)


def check_access(path: Path) -> None:
    """This user may read and write the desk's file (and its directory, where SQLite makes the
    `-wal` / `-shm`); otherwise one sentence naming who may."""
    if os.access(path, os.R_OK | os.W_OK) and os.access(path.parent, os.W_OK | os.X_OK):
        return
    try:
        read_only = bool(os.statvfs(path.parent).f_flag & os.ST_RDONLY)
    except OSError:
        read_only = False
    if read_only:  # nobody may write here, whoever owns the file
        raise DatabaseError(Message("desk.read_only_fs", path=str(path)))
    st = path.stat()
    shared = desk_gid(path)
    raise DatabaseError(
        Message(
            "desk.no_access_shared" if shared is not None else "desk.no_access",
            path=str(path),
            owner=_owner(st.st_uid),
            group=_group(st.st_gid),
            mode=f"{stat.S_IMODE(st.st_mode):04o}",
        )
    )


def check_open(path: Path) -> None:
    """Before and after kefu opens a shared desk: each companion is in the desk's group and
    group-writable; one of this user's is mended, one of another user's is refused (exit 3)."""
    gid = desk_gid(path)
    if gid is None:
        return
    for item in companions(path):
        try:
            st = item.stat()
        except FileNotFoundError:
            continue
        if _writable_by_group(st, gid):
            continue
        if not _mine(st):
            raise DatabaseError(_locked(item, st, gid))
        _give(item, gid)


def backup_mode(source: Path, target: Path) -> None:
    """A backup is as private as the desk: the desk's group and mode."""
    _give(target, desk_gid(source))


@dataclass(frozen=True)
class Problem:
    """One thing wrong with who may read or write the desk, and whether this user can mend it."""

    message: Message
    path: Path
    fixable: bool


def problems(path: Path) -> list[Problem]:
    """What `kefu doctor` reports about the desk's files: readable by others than the desk's
    people, a companion members cannot write, a shared desk's directory not setgid in its group."""
    found: list[Problem] = []
    if not path.exists():
        return found
    gid = desk_gid(path)
    for item in (path, *companions(path)):
        try:
            st = item.stat()
        except FileNotFoundError:
            continue
        mode = stat.S_IMODE(st.st_mode)
        if mode & 0o007:
            found.append(
                Problem(Message("desk.others_can_read", path=str(item), mode=f"{mode:04o}"), item, _mine(st))
            )
        if gid is not None and item != path and not _writable_by_group(st, gid):
            found.append(Problem(_locked(item, st, gid), item, _mine(st)))
    if gid is not None:
        st = path.parent.stat()
        if not _folder_ok(st, gid):
            found.append(
                Problem(
                    Message("group.directory", folder=str(path.parent), group=_group(gid)),
                    path.parent,
                    _mine(st),
                )
            )
    return found


def fix(path: Path) -> list[Problem]:
    """Mend what this user may of `problems`; returns what is left."""
    gid = desk_gid(path)
    left: list[Problem] = []
    for problem in problems(path):
        if not problem.fixable:
            left.append(problem)
        elif problem.path == path.parent and gid is not None:
            _make_setgid(problem.path, problem.path.stat(), gid)
        else:
            _give(problem.path, gid)
    return left
