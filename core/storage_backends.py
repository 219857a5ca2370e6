"""The storage backend STORAGE_URL names, opened for this process."""

from __future__ import annotations

from core.settings import Settings
from core.storage import Storage
from core.storage_local import LocalStorage
from core.storage_location import BucketLocation
from core.storage_s3 import S3Storage

# Where a process using a bucket receives files before they go up (and makes its `local_copy`s): its own disk.
TMP_FOLDER = "tmp"


def open_storage(settings: Settings) -> Storage:
    location = settings.storage_location
    if not isinstance(location, BucketLocation):
        return LocalStorage(location.path)
    secret = settings.aws_secret_access_key
    token = settings.aws_session_token
    return S3Storage.connect(
        location,
        tmp_dir=settings.data_dir / TMP_FOLDER,
        endpoint_url=settings.s3_endpoint_url,
        region=settings.s3_region,
        access_key_id=settings.aws_access_key_id,
        secret_access_key=secret.get_secret_value() if secret else None,
        session_token=token.get_secret_value() if token else None,
    )
