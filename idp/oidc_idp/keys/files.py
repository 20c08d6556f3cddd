"""Files that hold keys: a directory only we may write, files written without following links.

Another local user who can write the keys directory could plant a symlink where a private
key is about to be written (and so make us write it somewhere they can read), or swap in
keys of their own. So a keys directory is created 0700, an existing one is refused when
anyone else may write it or it belongs to another user, and every file is written fresh
(``O_EXCL | O_NOFOLLOW``) after whatever stood at its name is removed.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from oidc_idp.errors import KeyStoreError

PRIVATE_FILE_MODE = 0o600
PUBLIC_FILE_MODE = 0o644


def check_not_shared(path: Path, what: str) -> None:
    """Refuse ``path`` when another user owns it or anyone but its owner may write it."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise KeyStoreError(f"cannot use {what} {path}: {exc.strerror}", code="keystore_unwritable") from None
    if st.st_uid != os.geteuid():
        raise KeyStoreError(f"{what} {path} belongs to another user (uid {st.st_uid}); use a directory of your own", code="keys_unsafe")
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise KeyStoreError(
            f"{what} {path} may be written by other users (mode {stat.S_IMODE(st.st_mode):o}); run 'chmod go-w {path}' or use another",
            code="keys_unsafe",
        )


def private_directory(path: Path) -> Path:
    """``path`` as a directory only we may write: missing levels are made 0700, an existing one is checked."""
    missing: list[Path] = []
    level = path
    while not level.exists() and level != level.parent:
        missing.append(level)
        level = level.parent
    for directory in reversed(missing):
        try:
            os.mkdir(directory, 0o700)
        except FileExistsError:
            pass  # another worker made it at the same moment; it is checked below like any other
        except OSError as exc:
            raise KeyStoreError(f"cannot create keys directory {directory}: {exc.strerror}", code="keystore_unwritable") from None
    check_not_shared(path, "keys directory")
    return path


def write_new(path: Path, data: bytes, mode: int) -> None:
    """Write ``data`` to a file that is new at ``path``: a planted file or link there is removed, never followed."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    except OSError as exc:
        raise KeyStoreError(f"cannot write {path}: {exc.strerror}", code="keystore_unwritable") from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def read_key_file(path: Path) -> bytes:
    """A key file's bytes, refused when it is a link or another user may have put its content there."""
    try:
        st = os.lstat(path)
    except OSError as exc:
        raise KeyStoreError(f"cannot read {path}: {exc.strerror}", code="keystore_corrupt") from None
    if stat.S_ISLNK(st.st_mode):
        raise KeyStoreError(f"{path} is a symbolic link; key files must be regular files", code="keys_unsafe")
    check_not_shared(path, "key file")
    return path.read_bytes()
