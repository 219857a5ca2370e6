"""The storage backend on a local folder (the default: `make run`, tests, one machine).

Layout under the root:
    tmp/<random>.part     files being received (staged), never served; on the same file system as the files, so
                          a commit is one atomic rename
    <key>                 stored files
"""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.responses import FileResponse, Response

from core.storage import StagedFile, Storage, UnsafeKeyError, check_key


class LocalStorage(Storage):
    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).resolve()
        super().__init__(self.root / "tmp")

    def path_for(self, key: str) -> Path:
        """The file a key names; refuses keys that could reach outside the root (`..`, absolute, backslashes).

        The local backend's own business: code outside it reads through `local_copy`, which works on any backend.
        (Local-only tools, such as the benchmarks' seeding, may use it on a LocalStorage they made.)"""
        path = (self.root / check_key(key)).resolve()
        # Also catches a symlink inside the root that points elsewhere.
        if path == self.root or not path.is_relative_to(self.root):
            raise UnsafeKeyError(key)
        return path

    async def put(self, staged: StagedFile, key: str) -> None:
        self._check_staged(staged)
        await asyncio.to_thread(self._put_now, staged.path, self.path_for(key))

    @staticmethod
    def _put_now(source: Path, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        # mkstemp makes owner-only files; stored media is public content.
        source.chmod(0o644)
        # Atomic: readers see no file or the whole file. Two racing commits of the same content both rename
        # identical bytes, so whichever wins, the result is the same.
        os.replace(source, target)

    async def exists(self, key: str) -> bool:
        try:
            path = self.path_for(key)
        except UnsafeKeyError:
            return False
        return await asyncio.to_thread(path.is_file)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.path_for(key).unlink, missing_ok=True)

    async def move(self, source: str, target: str) -> None:
        await asyncio.to_thread(self._move_now, self.path_for(source), self.path_for(target))

    @staticmethod
    def _move_now(source: Path, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)  # atomic: both ends are under the root, one file system

    @asynccontextmanager
    async def local_copy(self, key: str) -> AsyncIterator[Path]:
        # The stored file itself: no copy to make or remove.
        path = self.path_for(key)
        if not await asyncio.to_thread(path.is_file):
            raise FileNotFoundError(f"nothing is stored under {key!r}")
        yield path

    async def list_keys(self, folder: str) -> list[str]:
        path = self.path_for(folder)
        return await asyncio.to_thread(self._list_now, path)

    def _list_now(self, folder: Path) -> list[str]:
        if not folder.is_dir():
            return []
        return [path.relative_to(self.root).as_posix() for path in folder.rglob("*") if path.is_file()]

    async def remove_empty_folder(self, folder: str) -> None:
        try:
            await asyncio.to_thread(self.path_for(folder).rmdir)
        except OSError:  # absent, or still holding a file
            return

    async def media_response(
        self, key: str, *, head: bool, media_type: str, headers: dict[str, str]
    ) -> Response | None:
        path = self.path_for(key)
        file_stat = await asyncio.to_thread(_stat_file, path)
        if file_stat is None:
            return None
        # FileResponse: sendfile, Range requests, ETag and Last-Modified from the file; HEAD sends no body.
        return FileResponse(path, stat_result=file_stat, media_type=media_type, headers=headers)


def _stat_file(path: Path) -> os.stat_result | None:
    try:
        result = path.stat()
    except OSError:
        return None
    return result if stat.S_ISREG(result.st_mode) else None
