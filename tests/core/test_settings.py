"""Settings come from the environment; production refuses to run without a real signing key."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from core.settings import Settings


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
