"""Reproducible zips: the same inputs and now give the same bytes; entries sorted, dated from now, mode 0644."""

from __future__ import annotations

import io
import stat
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from build import with_now
from bundling import LIVE
from oidc_validator.bundle.archive import write_zip, zip_bytes, zip_timestamp
from oidc_validator.bundle.contents import build_contents
from oidc_validator.bundle.errors import BundleError
from oidc_validator.model.context import Context


def test_two_builds_from_the_same_inputs_and_now_are_byte_identical(ctx: Context, tmp_path: Path) -> None:
    first = write_zip(tmp_path / "a.zip", build_contents(ctx, []), ctx.now)
    second = write_zip(tmp_path / "b.zip", build_contents(ctx, []), ctx.now)
    assert first.read_bytes() == second.read_bytes()
    assert b"report.html" in first.read_bytes()  # the HTML report, with its SVG timeline, is reproducible too


def test_a_different_now_gives_a_different_zip(ctx: Context) -> None:
    later = with_now(ctx, LIVE + timedelta(minutes=1))
    assert zip_bytes(build_contents(ctx, []), ctx.now) != zip_bytes(build_contents(later, []), later.now)


def test_entries_are_sorted_deflated_dated_from_now_in_utc_and_mode_0644(ctx: Context) -> None:
    data = zip_bytes(build_contents(ctx, []), ctx.now)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    for info in infos:
        assert info.date_time == (2026, 11, 1, 12, 5, 0)
        assert info.compress_type == zipfile.ZIP_DEFLATED
        assert stat.S_IMODE(info.external_attr >> 16) == 0o644


def test_the_zip_date_is_utc_whatever_the_zone_of_now() -> None:
    from datetime import timezone

    paris = datetime(2026, 11, 1, 13, 5, 7, tzinfo=timezone(timedelta(hours=1)))
    assert zip_timestamp(paris) == (2026, 11, 1, 12, 5, 6)  # zip dates have 2-second resolution
    assert zip_timestamp(datetime(1970, 1, 1, tzinfo=UTC)) == (1980, 1, 1, 0, 0, 0)


def test_write_zip_creates_missing_directories_and_leaves_no_temporary_file(ctx: Context, tmp_path: Path) -> None:
    path = write_zip(tmp_path / "out" / "bundle.zip", build_contents(ctx, []), ctx.now)
    assert path.is_file()
    assert [p.name for p in path.parent.iterdir()] == ["bundle.zip"]


def test_an_unwritable_destination_is_a_one_line_error(ctx: Context, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(BundleError) as caught:
        write_zip(blocker / "bundle.zip", build_contents(ctx, []), ctx.now)
    assert caught.value.code == "bundle_unwritable"
