"""Reading a user's data file safely (a CRM export, a roster, a start state): only a
regular file, never more than a cap, and every failure one line in words that name the
file's absolute path, never its contents."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable

FILE_TYPES = {stat.S_IFDIR: "a directory", stat.S_IFCHR: "a character device",
              stat.S_IFBLK: "a block device", stat.S_IFIFO: "a named pipe (FIFO)",
              stat.S_IFSOCK: "a socket"}


def read_regular(path: str, fail: Callable[[str], Exception], cap: int,
                 head: int | None = None) -> bytes:
    """The bytes of the regular file at `path` (only its first `head` bytes when given).

    A device, pipe or directory is refused before it is opened, a file over `cap` bytes
    before it is read, and an empty one after; each failure is raised as ``fail(why)``.
    """
    where = os.path.abspath(path)
    try:
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode):
            kind = FILE_TYPES.get(stat.S_IFMT(mode), "a special file")
            raise fail(f"{where} is {kind}, not a regular file")
        with open(os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)), "rb") as f:
            info = os.fstat(f.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise fail(f"{where} is not a regular file")
            if info.st_size > cap:
                raise fail(f"{where} holds {info.st_size:,} bytes, over the cap of "
                           f"{cap >> 20} MiB")
            data = f.read(cap + 1 if head is None else head)
    except FileNotFoundError:
        raise fail(f"no such file ({where})") from None
    except PermissionError:
        raise fail(f"cannot read {where} (permission denied)") from None
    except IsADirectoryError:
        raise fail(f"{where} is a directory, not a regular file") from None
    except OSError as exc:
        raise fail(f"cannot read {where} ({exc.strerror or exc})") from None
    except ValueError as exc:  # a NUL byte in the path
        raise fail(f"not a usable path ({exc})") from None
    if head is None and len(data) > cap:
        raise fail(f"{where} holds more than {cap:,} bytes, over the cap")
    if not data.strip():
        raise fail("the file is empty")
    return data
