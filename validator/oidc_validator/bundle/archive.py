"""Write the package as a reproducible zip: the same contents and ``now`` give the same bytes."""

from __future__ import annotations

import io
import os
import tempfile
import zipfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from oidc_validator.bundle.errors import BundleError
from oidc_validator.bundle.layout import FILE_MODE

_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can carry


def zip_timestamp(now: datetime) -> tuple[int, int, int, int, int, int]:
    """The entries' date: ``now`` in UTC (not the local zone, which would make builds machine-dependent)."""
    moment = (now if now.tzinfo is not None else now.replace(tzinfo=UTC)).astimezone(UTC)
    if moment.year < 1980:
        return _ZIP_EPOCH
    if moment.year > 2107:
        return (2107, 12, 31, 23, 59, 58)
    return (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second - moment.second % 2)


def zip_bytes(contents: Mapping[str, bytes], now: datetime) -> bytes:
    """Entries sorted by name, with fixed dates, permissions and compression: nothing from the machine or the clock."""
    stamp = zip_timestamp(now)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(contents):
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, so the permission bits below are read as such everywhere
            info.external_attr = (0o100000 | FILE_MODE) << 16
            archive.writestr(info, contents[name], compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return buffer.getvalue()


def write_zip(path: Path, contents: Mapping[str, bytes], now: datetime) -> Path:
    """Write atomically: a reader never sees half a bundle, and a failed write leaves no file behind."""
    data = zip_bytes(contents, now)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.chmod(tmp, FILE_MODE)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise BundleError(f"cannot write {path}: {exc.strerror or exc}", code="bundle_unwritable") from None
    return path
