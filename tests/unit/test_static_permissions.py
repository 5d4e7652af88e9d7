"""Collected static files are public and served by nginx from a volume as another user
(deploy/compose.yaml): unlike uploads and exports (0640, health data), they must be readable by
others. make deploy-test fetches them through nginx; this checks the storage settings alone."""

from __future__ import annotations

import stat

from django.conf import settings
from django.contrib.staticfiles.storage import StaticFilesStorage
from django.core.files.base import ContentFile


def test_collected_static_files_are_readable_by_another_user(tmp_path):
    options: dict[str, int] = settings.STORAGES["staticfiles"]["OPTIONS"]  # type: ignore[index]
    storage = StaticFilesStorage(location=tmp_path / "static", base_url="/static/", **options)
    name = storage.save("assets/app.js", ContentFile(b"console.log(1)"))
    assert stat.S_IMODE((tmp_path / "static" / name).stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "static" / "assets").stat().st_mode) == 0o755
    assert settings.FILE_UPLOAD_PERMISSIONS == 0o640, "uploads stay private"
