"""Settings come from the environment; production refuses to run without a real signing key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from core.settings import Settings
from core.storage_location import BucketLocation, FolderLocation


def test_development_has_working_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ENVIRONMENT", "SECRET_KEY", "FIRST_SUPERUSER_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.environment == "development"
    assert settings.signing_key
    assert settings.first_superuser_password is not None


@pytest.mark.parametrize("secret", [None, "", "short-key", "development-only-secret-key-change-me"])
def test_production_needs_a_real_secret(monkeypatch: pytest.MonkeyPatch, secret: str | None) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    if secret is None:
        monkeypatch.delenv("SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("SECRET_KEY", secret)
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_production_with_a_key_has_no_default_superuser(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("FIRST_SUPERUSER_PASSWORD", "")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.signing_key == "k" * 40
    assert settings.first_superuser_password is None


def test_stored_files_follow_data_dir_unless_storage_dir_is_set(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("STORAGE_DIR", raising=False)
    monkeypatch.delenv("DATA_DIR", raising=False)
    assert Settings(_env_file=None).storage_dir == Path(".data/storage")  # type: ignore[call-arg]

    monkeypatch.setenv("DATA_DIR", str(tmp_path / "state"))
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (settings.data_dir, settings.storage_dir) == (tmp_path / "state", tmp_path / "state" / "storage")

    # The same from a .env file, which is where a developer usually puts it.
    monkeypatch.delenv("DATA_DIR")
    env_file = tmp_path / ".env"
    env_file.write_text(f"DATA_DIR={tmp_path / 'elsewhere'}\n")
    assert Settings(_env_file=env_file).storage_dir == tmp_path / "elsewhere" / "storage"  # type: ignore[call-arg]

    monkeypatch.setenv("STORAGE_DIR", str(tmp_path / "files"))
    assert Settings(_env_file=env_file).storage_dir == tmp_path / "files"  # type: ignore[call-arg]


def test_storage_url_names_a_folder_or_a_bucket(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("STORAGE_URL", raising=False)
    monkeypatch.setenv("STORAGE_DIR", str(tmp_path / "files"))
    assert Settings(_env_file=None).storage_location == FolderLocation(tmp_path / "files")  # type: ignore[call-arg]

    monkeypatch.setenv("STORAGE_URL", "file:///srv/studio%20files")
    assert Settings(_env_file=None).storage_location == FolderLocation(Path("/srv/studio files"))  # type: ignore[call-arg]
    monkeypatch.setenv("STORAGE_URL", "s3://studio-files/prod/eu/")
    assert Settings(_env_file=None).storage_location == BucketLocation("studio-files", "prod/eu")  # type: ignore[call-arg]
    monkeypatch.setenv("STORAGE_URL", "s3://studio-files")
    assert Settings(_env_file=None).storage_location == BucketLocation("studio-files", "")  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/srv/files", "STORAGE_URL must be file:///absolute/path or s3://bucket/optional/prefix"),
        ("file://srv/files", "a file URL needs an absolute path"),
        ("https://example.com/bucket", "the scheme 'https' is neither"),
        ("s3://ab/x", "the bucket name must be 3 to 63"),
        ("s3://Studio-Files/x", "the bucket name must be 3 to 63"),
        ("s3://AKIAEXAMPLE:wJalrXUtnFEMI@studio-files/x", "the bucket name must be 3 to 63"),
        ("s3://studio-files/a//b", "has an empty, '.' or '..' part"),
        ("s3://studio-files/../b", "has an empty, '.' or '..' part"),
        ("s3://studio-files/x?region=eu", "no query or fragment"),
    ],
)
def test_a_bad_storage_url_stops_the_start_with_a_clear_message(
    monkeypatch: pytest.MonkeyPatch, url: str, message: str
) -> None:
    monkeypatch.setenv("STORAGE_URL", url)
    with pytest.raises(ValidationError) as refused:
        Settings(_env_file=None)  # type: ignore[call-arg]
    assert message in str(refused.value)
    # Shown at start-up and logged: a mistyped URL holding credentials is not repeated.
    assert "wJalrXUtnFEMI" not in str(refused.value)


def test_s3_settings_are_checked_and_secrets_stay_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORAGE_URL", "s3://studio-files/prod")
    monkeypatch.setenv("S3_ENDPOINT_URL", "minio:9000")
    with pytest.raises(ValidationError, match="S3_ENDPOINT_URL must be an http:// or https:// URL"):
        Settings(_env_file=None)  # type: ignore[call-arg]
    monkeypatch.setenv("S3_ENDPOINT_URL", "https://minio.internal:9000")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    with pytest.raises(ValidationError, match="AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together"):
        Settings(_env_file=None)  # type: ignore[call-arg]

    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI-very-secret")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "session-token-very-secret")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]

    assert settings.aws_secret_access_key is not None
    assert settings.aws_secret_access_key.get_secret_value() == "wJalrXUtnFEMI-very-secret"
    assert "very-secret" not in repr(settings) and "very-secret" not in str(settings.model_dump())


def test_a_process_with_a_bad_storage_url_does_not_start(tmp_path: Path) -> None:
    environment = {**os.environ, "STORAGE_URL": "s3://x/files", "DATA_DIR": str(tmp_path)}
    started = subprocess.run(
        [sys.executable, "-m", "jobs.worker"],
        env=environment,
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert started.returncode != 0
    assert "STORAGE_URL must be file:///absolute/path or s3://bucket/optional/prefix" in started.stderr
