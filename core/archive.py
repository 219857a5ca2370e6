"""Read an untrusted ZIP archive entry by entry, within a budget, without ever extracting it.

Nothing here writes a file, and no path is ever built from an entry name: a caller copies an entry's bytes into
a sink of its own choosing (a staged storage file, a buffer). Usage from a job, in a worker thread:

    with open_archive(path, budget) as archive:          # ArchiveError: the whole task fails
        for entry in archive.entries:
            if entry.problem is not None:
                skip(entry, entry.problem)
                continue
            try:
                with archive.open(entry) as reader:
                    staged = storage.stage_reader(reader)
            except EntryError as error:                  # skip this entry, carry on with the next
                skip(entry, error.message)

Two kinds of failure, two exception families:
- `ArchiveError`: the archive as a whole is unusable (not a ZIP, damaged file list, too many entries, more
  uncompressed data than the budget). The task fails with its `message`.
- `EntryError` (`EntryTooLargeError`, `CorruptEntryError`): one entry is skipped with its `message` as reason.

The budget is checked twice: on the sizes the archive declares (`open_archive`, before anything is
decompressed), and on the bytes actually decompressed (every read), because headers can lie.
"""

from __future__ import annotations

import io
import os
import re
import stat
import struct
import threading
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, BinaryIO

from core.storage import CHUNK_SIZE, format_size

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

# Entries below this size are never judged by their compression ratio: a small file of repeated bytes (a
# whitespace-padded JSON, an empty image margin) compresses far past any ratio and costs nothing to read.
_RATIO_FLOOR = 1 << 20

# Only the methods every common zip tool writes. LZMA is refused on purpose: its dictionary size comes from the
# entry header and is allocated up front, so a hostile header could make the decompressor reserve gigabytes.
_SUPPORTED_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})

_ENCRYPTED_FLAG = 0x1
_SYSTEM_FILE_NAMES = frozenset({"thumbs.db", "desktop.ini"})
_SEPARATORS = re.compile(r"[\\/]")
_DRIVE = re.compile(r"[A-Za-z]:")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")

# End of central directory records (APPNOTE 4.3.16, 4.3.14, 4.3.15).
_EOCD = struct.Struct("<4s4H2LH")
_EOCD_SIGNATURE = b"PK\x05\x06"
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_LOCATOR_SIGNATURE = b"PK\x06\x07"
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
_ZIP64_EOCD_SIGNATURE = b"PK\x06\x06"
_MAX_COMMENT = 0xFFFF
# Central directory bytes allowed per budgeted entry: the fixed record (46 bytes), the longest allowed name, and
# room for the usual extra fields (timestamps, unix ids, zip64 sizes). `zipfile` reads the whole central directory
# into memory before we see a single entry, so its size is what bounds that memory.
_DIRECTORY_RECORD = 46
_DIRECTORY_EXTRA_ALLOWANCE = 256


@dataclass(frozen=True, slots=True)
class ArchiveBudget:
    max_entries: int = 2000
    max_total_uncompressed: int = 2 * 1024**3
    max_entry_uncompressed: int = 50 * 1024**2
    max_compression_ratio: float = 100
    max_name_length: int = 512

    def __post_init__(self) -> None:
        for name in ("max_entries", "max_total_uncompressed", "max_entry_uncompressed", "max_name_length"):
            if getattr(self, name) < 1:
                raise ValueError(f"ArchiveBudget.{name} must be positive")
        if self.max_compression_ratio <= 1:
            raise ValueError("ArchiveBudget.max_compression_ratio must be above 1")

    @property
    def max_directory_bytes(self) -> int:
        return self.max_entries * (_DIRECTORY_RECORD + self.max_name_length + _DIRECTORY_EXTRA_ALLOWANCE)


class ArchiveError(Exception):
    """The archive as a whole cannot be used; `message` is meant for the person who sent it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class EntryError(Exception):
    """One entry cannot be used and is skipped; `message` is the reason shown for it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class EntryTooLargeError(EntryError):
    pass


class CorruptEntryError(EntryError):
    pass


@dataclass(frozen=True, slots=True)
class ArchiveEntry:
    """One entry of the central directory, as declared by the archive (sizes are claims, not facts).

    `parts`, `file_name`, `stem`, `extension` and `top_folder` are only meaningful when `problem` is None.
    """

    index: int  # position in the central directory; how `Archive.open` finds the entry again
    name: str  # the raw name, as stored
    parts: tuple[str, ...]  # path components; '/' and '\\' both separate, empty and '.' components dropped
    file_name: str  # last component
    stem: str  # file name without its extension: what a shot type's name is matched against
    extension: str  # lowercase, without the dot; '' when there is none
    top_folder: str | None  # first component when the entry sits in a folder, else None
    size: int  # declared uncompressed size
    compressed_size: int
    problem: str | None  # why the entry must be skipped, or None


def list_entries(path: Path, budget: ArchiveBudget | None = None) -> list[ArchiveEntry]:
    """The entries of the ZIP at `path`, each with the reason it must be skipped, if any (see `open_archive`)."""
    with open_archive(path, budget) as archive:
        return archive.entries


@contextmanager
def open_archive(path: Path, budget: ArchiveBudget | None = None) -> Iterator[Archive]:
    """Open the ZIP at `path`, check its entry count and declared sizes, and yield it for reading.

    Raises `ArchiveError` when the file is not a readable ZIP, has more entries than the budget, or declares more
    uncompressed data (over the entries that would be read) than the budget's total.
    """
    budget = budget or ArchiveBudget()
    with _open_zip(path, budget) as zip_file:
        entries = _describe_entries(zip_file.infolist(), budget)
        declared = sum(entry.size for entry in entries if entry.problem is None)
        if declared > budget.max_total_uncompressed:
            raise ArchiveError(f"the archive unpacks to more than {format_size(budget.max_total_uncompressed)}")
        yield Archive(zip_file, entries, budget)


def zip_names(path: Path, *, max_entries: int) -> list[str]:
    """The raw entry names of the ZIP at `path`, from its file list alone: nothing is decompressed.

    Raises `ArchiveError` for a file that is not a readable ZIP or lists more than `max_entries` entries.
    """
    with _open_zip(path, ArchiveBudget(max_entries=max_entries)) as zip_file:
        return [info.orig_filename for info in zip_file.infolist()]


class Archive:
    """An open archive: its `entries`, and readers that keep a running total of decompressed bytes.

    Several threads may read different entries at once (a job inflates a few entries in parallel): zipfile reads
    the shared file under its own lock, and the running total is kept under ours.
    """

    def __init__(self, zip_file: zipfile.ZipFile, entries: list[ArchiveEntry], budget: ArchiveBudget) -> None:
        self._zip_file = zip_file
        self.entries = entries
        self.budget = budget
        self._total_read = 0
        self._lock = threading.Lock()

    @property
    def total_read(self) -> int:
        """Bytes decompressed so far, over every entry opened (skipped and re-read entries count too)."""
        return self._total_read

    def open(self, entry: ArchiveEntry, *, max_bytes: int | None = None) -> BinaryIO:
        """A reader of the entry's decompressed bytes, fit for `Storage.stage_reader`; close it when done.

        Its reads raise `EntryTooLargeError` past `max_bytes` (default: the budget's per-entry size),
        `CorruptEntryError` on damaged data (checked to the end: the CRC and the declared size must match), and
        `ArchiveError` once the archive's running total passes the budget. An entry that has a `problem` is
        refused with `EntryError(problem)`.
        """
        if entry.problem is not None:
            raise EntryError(entry.problem)
        infos = self._zip_file.infolist()
        if not 0 <= entry.index < len(infos) or infos[entry.index].orig_filename != entry.name:
            raise ValueError("the entry does not belong to this archive")
        limit = (
            self.budget.max_entry_uncompressed
            if max_bytes is None
            else min(max_bytes, self.budget.max_entry_uncompressed)
        )
        try:
            with self._lock:  # ZipFile.open counts its open readers without a lock of its own
                source = self._zip_file.open(infos[entry.index])
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, ValueError) as error:
            # Local header missing or disagreeing with the central directory, unknown features, encryption.
            raise CorruptEntryError("corrupt entry header") from error
        return io.BufferedReader(_EntryStream(self, source, entry, limit), buffer_size=CHUNK_SIZE)

    def copy_entry(self, entry: ArchiveEntry, sink: BinaryIO, *, max_bytes: int | None = None) -> int:
        """Stream the entry into `sink` (same errors as `open`); answers the number of bytes written."""
        written = 0
        with self.open(entry, max_bytes=max_bytes) as reader:
            while chunk := reader.read(CHUNK_SIZE):
                sink.write(chunk)
                written += len(chunk)
        return written

    def read_bytes(self, entry: ArchiveEntry, *, max_bytes: int | None = None) -> bytes:
        """The entry's whole content in memory; for small files such as `metadata.json` (pass a small max_bytes)."""
        sink = io.BytesIO()
        self.copy_entry(entry, sink, max_bytes=max_bytes)
        return sink.getvalue()

    def _add_read(self, size: int) -> None:
        with self._lock:
            self._total_read += size
            total = self._total_read
        if total > self.budget.max_total_uncompressed:
            raise ArchiveError(f"the archive unpacks to more than {format_size(self.budget.max_total_uncompressed)}")


class _EntryStream(io.RawIOBase):
    """The decompressed bytes of one entry, counted as they come; errors become `EntryError`/`ArchiveError`."""

    def __init__(self, archive: Archive, source: IO[bytes], entry: ArchiveEntry, limit: int) -> None:
        super().__init__()
        self._archive = archive
        self._source = source
        self._entry = entry
        self._limit = limit
        self._count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        try:
            data = self._source.read(min(len(view), CHUNK_SIZE))
        except zipfile.BadZipFile as error:
            # zipfile checks the CRC when it reaches the declared size, so a header claiming fewer bytes than
            # the data holds (a disguised bomb) ends here too, after at most the declared size.
            raise CorruptEntryError("corrupt data (checksum mismatch)") from error
        except (zlib.error, EOFError) as error:
            raise CorruptEntryError("corrupt data (cannot be decompressed)") from error
        if not data:
            if self._count != self._entry.size:
                raise CorruptEntryError("corrupt data (shorter than its header says)")
            return 0
        # zipfile never yields more than the declared size, which passed the budget; counting anyway keeps the
        # limits true whatever the library does, and enforces callers' smaller `max_bytes`.
        self._count += len(data)
        if self._count > self._limit:
            raise EntryTooLargeError(f"too large (over {format_size(self._limit)})")
        self._archive._add_read(len(data))
        view[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            with self._archive._lock:  # zipfile's count of open readers goes down here, also without a lock
                self._source.close()
        super().close()


# --- listing -----------------------------------------------------------------------------------------------------


def _open_zip(path: Path, budget: ArchiveBudget) -> zipfile.ZipFile:
    _check_directory_size(path, budget)
    try:
        zip_file = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError) as error:
        # The file itself opened a moment ago, so these come from its content: ValueError from undecodable UTF-8
        # names, NotImplementedError from a header asking for a newer zip version, OSError from wild offsets.
        raise ArchiveError("the ZIP archive is damaged: its list of files cannot be read") from error
    if len(zip_file.infolist()) > budget.max_entries:
        zip_file.close()
        raise ArchiveError(f"the archive has more than {budget.max_entries} entries")
    return zip_file


def _check_directory_size(path: Path, budget: ArchiveBudget) -> None:
    """Refuse, before `zipfile` reads it all into memory, a central directory too large for the budget."""
    with path.open("rb") as file:
        found = _read_end_record(file)
    if found is None:
        raise ArchiveError("the file is not a ZIP archive")
    entry_count, directory_size = found
    if entry_count > budget.max_entries:
        raise ArchiveError(f"the archive has more than {budget.max_entries} entries")
    if directory_size > budget.max_directory_bytes:
        # The declared count can lie; the directory's size cannot, since zipfile walks it all.
        raise ArchiveError(f"the archive has more than {budget.max_entries} entries")


def _read_end_record(file: BinaryIO) -> tuple[int, int] | None:
    """(entry count, central directory size) as `zipfile` will find them, or None when there is no ZIP trailer.

    Mirrors `zipfile._EndRecData`: the record at the very end when there is no archive comment, else the last
    signature in the final 64 KiB; a ZIP64 record, when located right before it, overrides both numbers.
    """
    file.seek(0, os.SEEK_END)
    file_size = file.tell()
    if file_size < _EOCD.size:
        return None
    file.seek(file_size - _EOCD.size)
    tail = file.read()
    record_at = file_size - _EOCD.size
    if not (tail[:4] == _EOCD_SIGNATURE and tail[-2:] == b"\x00\x00"):
        search_from = max(file_size - _MAX_COMMENT - _EOCD.size, 0)
        file.seek(search_from)
        tail = file.read()
        start = tail.rfind(_EOCD_SIGNATURE)
        if start < 0 or len(tail) - start < _EOCD.size:
            return None
        tail = tail[start : start + _EOCD.size]
        record_at = search_from + start
    fields = _EOCD.unpack(tail)
    entry_count, directory_size = fields[4], fields[5]

    locator_at = record_at - _ZIP64_LOCATOR.size
    zip64_at = locator_at - _ZIP64_EOCD.size
    if zip64_at >= 0:
        file.seek(locator_at)
        locator = file.read(_ZIP64_LOCATOR.size)
        if locator[:4] == _ZIP64_LOCATOR_SIGNATURE:
            file.seek(zip64_at)
            record = file.read(_ZIP64_EOCD.size)
            if len(record) == _ZIP64_EOCD.size and record[:4] == _ZIP64_EOCD_SIGNATURE:
                zip64 = _ZIP64_EOCD.unpack(record)
                entry_count, directory_size = zip64[7], zip64[8]
    return entry_count, directory_size


def _describe_entries(infos: list[zipfile.ZipInfo], budget: ArchiveBudget) -> list[ArchiveEntry]:
    entries = [_describe(index, info, budget) for index, info in enumerate(infos)]
    # Like most unzip tools, the last of several entries with the same path wins; earlier ones are skipped.
    last_index: dict[tuple[str, ...], int] = {}
    for entry in entries:
        if entry.problem is None:
            last_index[entry.parts] = entry.index
    return [
        replace(entry, problem="duplicate entry")
        if entry.problem is None and last_index[entry.parts] != entry.index
        else entry
        for entry in entries
    ]


def _describe(index: int, info: zipfile.ZipInfo, budget: ArchiveBudget) -> ArchiveEntry:
    name = info.orig_filename
    parts = tuple(part for part in _SEPARATORS.split(name) if part not in ("", "."))
    file_name = parts[-1] if parts else ""
    stem, dot, extension = file_name.rpartition(".")
    if not dot or not stem:
        stem, extension = file_name, ""
    return ArchiveEntry(
        index=index,
        name=name,
        parts=parts,
        file_name=file_name,
        stem=stem,
        extension=extension.lower(),
        top_folder=parts[0] if len(parts) > 1 else None,
        size=info.file_size,
        compressed_size=info.compress_size,
        problem=_problem(info, name, parts, budget),
    )


def _problem(info: zipfile.ZipInfo, name: str, parts: tuple[str, ...], budget: ArchiveBudget) -> str | None:
    if len(name) > budget.max_name_length:
        return "name too long"
    if _CONTROL_CHARACTERS.search(name):
        return "invalid name"
    file_type = stat.S_IFMT(info.external_attr >> 16)
    if name.endswith(("/", "\\")) or file_type == stat.S_IFDIR:
        return "directory"
    if name.startswith(("/", "\\")):
        return "absolute path"
    if (parts and _DRIVE.match(parts[0])) or ".." in parts:
        return "path traversal"
    if not parts:
        return "invalid name"
    if file_type == stat.S_IFLNK:
        return "symbolic link"
    if file_type not in (0, stat.S_IFREG):
        return "special file"
    if parts[0].lower() == "__macosx" or any(part.startswith(".") for part in parts):
        return "hidden or system file"
    if parts[-1].lower() in _SYSTEM_FILE_NAMES:
        return "hidden or system file"
    if info.flag_bits & _ENCRYPTED_FLAG:
        return "encrypted"
    if info.compress_type not in _SUPPORTED_METHODS:
        return "unsupported compression method"
    if info.file_size > budget.max_entry_uncompressed:
        return "too large"
    if info.file_size > _RATIO_FLOOR and info.file_size > budget.max_compression_ratio * max(info.compress_size, 1):
        return "suspicious compression ratio"
    return None
