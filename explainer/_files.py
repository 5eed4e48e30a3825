"""Files written whole or not at all, and read with a size limit.

Every save in the package goes through ``write_text_atomic``: the text goes to a temporary file in the
same folder, is flushed and fsynced, and only then replaces the target with ``os.replace`` (atomic on
POSIX and Windows when both are on one file system). A save that fails half-way (a full disk, a killed
kernel, a file-size limit) leaves the previous file as it was; the temporary file is removed on any
failure the process survives.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path


def as_path(path, argument: str = "path") -> Path:
    """A Path from a str or os.PathLike; ValueError naming ``argument`` otherwise."""
    try:
        text = os.fsdecode(path)
    except TypeError:
        raise ValueError(f"{argument} must be a file path (str or Path); got {type(path).__name__}") from None
    if not text or "\x00" in text:
        raise ValueError(f"{argument} must be a non-empty file path without NUL characters; got {text!r}")
    return Path(text)


def _new_file_mode() -> int:
    # What open() would give a new file: 0o666 minus the umask (which can only be read by setting it).
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def write_text_atomic(path, text: str, *, argument: str = "path", encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` atomically: temp file in the same folder, flush, fsync, ``os.replace``.

    The target keeps its permissions if it exists (a new file gets the usual 0o666 minus the umask).
    ValueError naming ``argument`` when the file cannot be written (no such folder, no permission, a
    full disk); the previous file is then unchanged.
    """
    target = as_path(path, argument)
    if not isinstance(text, str):
        raise ValueError(f"text must be a str; got {type(text).__name__}")
    folder = target.parent if str(target.parent) else Path(".")
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        mode = _new_file_mode()
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding=encoding, newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
        tmp = None
    except OSError as err:
        reason = err.strerror or str(err)
        raise ValueError(
            f"{argument} {str(target)!r}: cannot write the file ({reason}); any previous file is unchanged"
        ) from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    _fsync_folder(folder)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where folders cannot be opened (Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read_text_limited(path, max_bytes: int, *, argument: str = "path", what: str = "file") -> str:
    """The text of ``path`` (UTF-8), refused with a ValueError before reading if it exceeds ``max_bytes``."""
    target = as_path(path, argument)
    try:
        size = os.stat(target).st_size
        if not os.path.isfile(target):
            raise ValueError(f"{argument} {str(target)!r} is not a file")
        if size > max_bytes:
            raise ValueError(
                f"{argument} {str(target)!r} is {size:,} bytes; a {what} may be at most {max_bytes:,} bytes"
            )
        with open(target, encoding="utf-8") as f:
            text = f.read(max_bytes + 1)
    except (OSError, UnicodeDecodeError) as err:
        reason = getattr(err, "strerror", None) or str(err)
        raise ValueError(f"{argument} {str(target)!r} is not a readable {what}: {reason}") from None
    if len(text) > max_bytes:  # the file grew while it was read (a character is at least one byte)
        raise ValueError(f"{argument} {str(target)!r}: a {what} may be at most {max_bytes:,} bytes")
    return text
