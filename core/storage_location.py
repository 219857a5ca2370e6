"""Where files are kept: STORAGE_URL parsed (`file:///path` or `s3://bucket/prefix`), checked at start-up so a
typo stops the process rather than the first upload."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

# S3's rules for bucket names (3 to 63 lowercase letters, digits, dots and hyphens; a letter or digit at each end).
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_EXPECTED = "STORAGE_URL must be file:///absolute/path or s3://bucket/optional/prefix"


@dataclass(frozen=True)
class FolderLocation:
    """A folder on this machine's disk."""

    path: Path


@dataclass(frozen=True)
class BucketLocation:
    """A bucket on an S3-compatible store, and the key prefix every stored file goes under ('' for none)."""

    bucket: str
    prefix: str


StorageLocation = FolderLocation | BucketLocation


def parse_storage_url(url: str) -> StorageLocation:
    """The location `url` names; ValueError with a message for the operator when it names none."""
    parts = urlsplit(url.strip())
    if parts.query or parts.fragment:
        raise ValueError(f"{_EXPECTED} (no query or fragment)")
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            raise ValueError(f"{_EXPECTED}: a file URL needs an absolute path (file:///srv/storage)")
        return FolderLocation(Path(unquote(parts.path)))
    if parts.scheme == "s3":
        if not _BUCKET.fullmatch(parts.netloc) or ".." in parts.netloc:
            # The name is not repeated: a mistyped URL may hold credentials (s3://key:secret@bucket).
            raise ValueError(f"{_EXPECTED}: the bucket name must be 3 to 63 lowercase letters, digits, dots, hyphens")
        prefix = parts.path.strip("/")
        if any(part in ("", ".", "..") for part in prefix.split("/")) and prefix:
            raise ValueError(f"{_EXPECTED}: the prefix {prefix!r} has an empty, '.' or '..' part")
        return BucketLocation(bucket=parts.netloc, prefix=prefix)
    raise ValueError(f"{_EXPECTED} (the scheme {parts.scheme!r} is neither)" if parts.scheme else _EXPECTED)
