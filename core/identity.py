"""Who is at the keyboard: the OS login from the process's real uid, never the environment.

`$USER` and `$LOGNAME` are trivially spoofed, so kefu reads the password database entry of
the uid the kernel says the process runs as.
"""

from __future__ import annotations

import os
import pwd


def os_login() -> str:
    """The login name of the real uid running this process."""
    uid = os.getuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid{uid}"
