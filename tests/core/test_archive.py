"""Reading untrusted ZIP archives: real archives written with zipfile, some with their raw headers patched."""

from __future__ import annotations

import asyncio
import io
import os
import stat
import struct
import warnings
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from core.archive import (
    ArchiveBudget,
    ArchiveEntry,
    ArchiveError,
    CorruptEntryError,
    EntryError,
    EntryTooLargeError,
    list_entries,
    open_archive,
    zip_names,
)
from core.storage_local import LocalStorage

MiB = 1024 * 1024

Member = tuple[str | zipfile.ZipInfo, bytes]
MakeZip = Callable[..., Path]


@pytest.fixture
def make_zip(tmp_path: Path) -> MakeZip:
    """Writes a ZIP under tmp_path/archives from (name or ZipInfo, content) pairs, names taken verbatim."""
    folder = tmp_path / "archives"
    folder.mkdir()

    def make(members: Iterable[Member], *, name: str = "upload.zip", compression: int = zipfile.ZIP_DEFLATED) -> Path:
        path = folder / name
        with warnings.catch_warnings():
            # zipfile warns about duplicate names, which some tests write on purpose.
            warnings.simplefilter("ignore", UserWarning)
            with zipfile.ZipFile(path, "w", compression=compression) as archive:
                for member, data in members:
                    archive.writestr(member, data)
        return path

    return make


def zeros_zip(path: Path, name: str, size: int) -> Path:
    """A ZIP with one deflated entry of `size` zero bytes, written in pieces so memory stays small."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive, archive.open(name, "w") as entry:
        chunk = bytes(MiB)
        for start in range(0, size, MiB):
            entry.write(chunk[: min(MiB, size - start)])
    return path


# --- raw header surgery: zipfile writes honest archives, attackers do not ----------------------------------------

# Offsets inside a central directory record and a local file header (APPNOTE 4.3.12 and 4.3.7).
_CENTRAL = {"flag_bits": (8, "<H"), "crc": (16, "<L"), "file_size": (24, "<L"), "name": (46, None)}
_LOCAL = {"flag_bits": (6, "<H"), "crc": (14, "<L"), "file_size": (22, "<L"), "signature": (0, "<L")}


def patch_entry(
    path: Path, name: str, *, central: dict[str, int] | None = None, local: dict[str, int] | None = None
) -> None:
    """Overwrite header fields of the entry called `name`, in its central directory record and/or local header."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(name)
        position = archive.start_dir
        while data[position : position + 4] == b"PK\x01\x02":
            name_length, extra_length, comment_length = struct.unpack_from("<3H", data, position + 28)
            if data[position + 46 : position + 46 + name_length] == name.encode():
                break
            position += 46 + name_length + extra_length + comment_length
        else:
            raise AssertionError(f"{name} not found in the central directory")
    for field, value in (central or {}).items():
        offset, layout = _CENTRAL[field]
        assert layout is not None
        struct.pack_into(layout, data, position + offset, value)
    for field, value in (local or {}).items():
        offset, layout = _LOCAL[field]
        struct.pack_into(layout, data, info.header_offset + offset, value)
    path.write_bytes(bytes(data))


def patch_declared_entry_count(path: Path, count: int) -> None:
    """Make the end-of-central-directory record (no archive comment: the last 22 bytes) claim `count` entries."""
    data = bytearray(path.read_bytes())
    assert data[-22:-18] == b"PK\x05\x06"
    struct.pack_into("<2H", data, len(data) - 22 + 8, count, count)
    path.write_bytes(bytes(data))


def data_offset(path: Path, name: str) -> int:
    """Where the entry's (compressed) data starts in the file."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(name)
    with path.open("rb") as file:
        file.seek(info.header_offset)
        header = file.read(30)
    name_length, extra_length = struct.unpack_from("<2H", header, 26)
    return info.header_offset + 30 + name_length + extra_length


def by_name(entries: list[ArchiveEntry]) -> dict[str, ArchiveEntry]:
    return {entry.name: entry for entry in entries}


def problems(path: Path, budget: ArchiveBudget | None = None) -> dict[str, str | None]:
    return {entry.name: entry.problem for entry in list_entries(path, budget)}


def files_under(folder: Path) -> set[Path]:
    return {path for path in folder.rglob("*") if path.is_file() or path.is_symlink()}


# --- listing -----------------------------------------------------------------------------------------------------


def test_a_normal_archive_lists_every_file_with_its_parts(make_zip: MakeZip) -> None:
    path = make_zip(
        [
            ("metadata.json", b'{"name": "Ava"}'),
            ("Front.JPG", b"front"),
            ("subject/poses/side.png", b"side"),
            ("portfolio/", b""),
            ("portfolio/look 1.jpg", b"look"),
            ("portfolio\\look 2.webp", b"look two"),
            ("./portfolio//archive.tar.gz", b"tgz"),
            ("README", b"read me"),
            ("portfolio/Ünïcode.jpg", b"u"),
        ]
    )

    entries = by_name(list_entries(path))

    front = entries["Front.JPG"]
    assert (front.parts, front.file_name, front.stem, front.extension, front.top_folder) == (
        ("Front.JPG",),
        "Front.JPG",
        "Front",
        "jpg",
        None,
    )
    assert (front.size, front.problem) == (5, None)
    side = entries["subject/poses/side.png"]
    assert (side.parts, side.stem, side.extension, side.top_folder) == (
        ("subject", "poses", "side.png"),
        "side",
        "png",
        "subject",
    )
    # Windows tools write backslashes; they separate folders just the same.
    backslashed = entries["portfolio\\look 2.webp"]
    assert (backslashed.parts, backslashed.top_folder, backslashed.stem) == (
        ("portfolio", "look 2.webp"),
        "portfolio",
        "look 2",
    )
    tarball = entries["./portfolio//archive.tar.gz"]
    assert (tarball.parts, tarball.stem, tarball.extension) == (("portfolio", "archive.tar.gz"), "archive.tar", "gz")
    assert (entries["README"].stem, entries["README"].extension) == ("README", "")
    assert entries["portfolio/Ünïcode.jpg"].stem == "Ünïcode"
    assert entries["portfolio/"].problem == "directory"
    assert [name for name, entry in entries.items() if entry.problem] == ["portfolio/"]


def test_reading_entries_gives_back_their_exact_bytes(make_zip: MakeZip) -> None:
    photo = os.urandom(300_000)
    path = make_zip([("portfolio/x.jpg", photo), ("metadata.json", b'{"name": "Ava"}'), ("empty.txt", b"")])

    with open_archive(path) as archive:
        entries = by_name(archive.entries)
        sink = io.BytesIO()
        written = archive.copy_entry(entries["portfolio/x.jpg"], sink)
        assert (written, sink.getvalue()) == (len(photo), photo)
        assert archive.read_bytes(entries["metadata.json"], max_bytes=64 * 1024) == b'{"name": "Ava"}'
        with archive.open(entries["empty.txt"]) as reader:
            assert reader.read() == b""
        assert archive.total_read == len(photo) + len(b'{"name": "Ava"}')


def test_an_empty_archive_has_no_entries(make_zip: MakeZip) -> None:
    assert list_entries(make_zip([])) == []


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("../evil.jpg", "path traversal"),
        ("a/../../b.jpg", "path traversal"),
        ("portfolio/..\\..\\c.jpg", "path traversal"),
        ("/etc/x.jpg", "absolute path"),
        ("\\\\server\\share\\x.jpg", "absolute path"),
        ("C:\\x.jpg", "path traversal"),
        ("c:/windows/x.jpg", "path traversal"),
        ("D:relative.jpg", "path traversal"),
        ("__MACOSX/portfolio/._x.jpg", "hidden or system file"),
        (".DS_Store", "hidden or system file"),
        ("portfolio/.secret.jpg", "hidden or system file"),
        (".git/config", "hidden or system file"),
        ("portfolio/Thumbs.db", "hidden or system file"),
        ("bad\x01name.jpg", "invalid name"),
        ("./", "directory"),
        ("a/b/", "directory"),
        (".", "invalid name"),
        ("x" * 509 + ".jpg", "name too long"),
    ],
)
def test_dangerous_names_are_skipped_with_a_reason(make_zip: MakeZip, name: str, problem: str) -> None:
    path = make_zip([("front.jpg", b"fine"), (name, b"payload")])

    assert problems(path) == {"front.jpg": None, name: problem}


def test_a_name_at_the_length_limit_is_fine(make_zip: MakeZip) -> None:
    name = "x" * 508 + ".jpg"
    assert problems(make_zip([(name, b"ok")])) == {name: None}
    assert problems(make_zip([(name, b"ok")], name="short.zip"), ArchiveBudget(max_name_length=100)) == {
        name: "name too long"
    }


def test_links_and_special_files_are_skipped(make_zip: MakeZip) -> None:
    link = zipfile.ZipInfo("portfolio/link.jpg")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    fifo = zipfile.ZipInfo("portfolio/pipe.jpg")
    fifo.external_attr = (stat.S_IFIFO | 0o644) << 16
    directory = zipfile.ZipInfo("folder-without-slash")
    directory.external_attr = (stat.S_IFDIR | 0o755) << 16
    regular = zipfile.ZipInfo("portfolio/real.jpg")
    regular.external_attr = (stat.S_IFREG | 0o644) << 16
    path = make_zip([(link, b"/etc/passwd"), (fifo, b""), (directory, b""), (regular, b"jpeg")])

    assert problems(path) == {
        "portfolio/link.jpg": "symbolic link",
        "portfolio/pipe.jpg": "special file",
        "folder-without-slash": "directory",
        "portfolio/real.jpg": None,
    }


def test_encrypted_entries_are_skipped_and_cannot_be_opened(make_zip: MakeZip) -> None:
    path = make_zip([("front.jpg", b"secret"), ("side.jpg", b"open")])
    patch_entry(path, "front.jpg", central={"flag_bits": 0x1}, local={"flag_bits": 0x1})

    with open_archive(path) as archive:
        entries = by_name(archive.entries)
        assert entries["front.jpg"].problem == "encrypted"
        with pytest.raises(EntryError) as refused:
            archive.open(entries["front.jpg"])
        assert refused.value.message == "encrypted"
        assert archive.read_bytes(entries["side.jpg"]) == b"open"


@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_compression_methods_other_than_deflate_are_skipped(make_zip: MakeZip, method: int) -> None:
    path = make_zip([("front.jpg", b"x" * 1000)], compression=method)

    assert problems(path) == {"front.jpg": "unsupported compression method"}


def test_a_duplicated_name_keeps_the_last_entry(make_zip: MakeZip) -> None:
    path = make_zip(
        [
            ("front.jpg", b"first"),
            ("portfolio/a.jpg", b"a"),
            ("./front.jpg", b"second"),
            ("front.jpg", b"third"),
            ("portfolio\\a.jpg", b"a again"),
        ]
    )

    with open_archive(path) as archive:
        assert [(entry.name, entry.problem) for entry in archive.entries] == [
            ("front.jpg", "duplicate entry"),
            ("portfolio/a.jpg", "duplicate entry"),
            ("./front.jpg", "duplicate entry"),
            ("front.jpg", None),
            ("portfolio\\a.jpg", None),
        ]
        kept = [entry for entry in archive.entries if entry.problem is None]
        assert [archive.read_bytes(entry) for entry in kept] == [b"third", b"a again"]
        with pytest.raises(EntryError, match="duplicate entry"):
            archive.open(archive.entries[0])


# --- size budgets --------------------------------------------------------------------------------------------------


def test_a_zip_bomb_is_skipped_before_anything_is_decompressed(tmp_path: Path) -> None:
    # 60 MiB of zeros compress to about 60 KB: past the default 50 MiB per entry.
    path = zeros_zip(tmp_path / "bomb.zip", "portfolio/bomb.jpg", 60 * MiB)
    assert path.stat().st_size < 100_000

    with open_archive(path) as archive:
        (bomb,) = archive.entries
        assert (bomb.size, bomb.problem) == (60 * MiB, "too large")
        with pytest.raises(EntryError, match="too large"):
            archive.open(bomb)
        assert archive.total_read == 0


def test_a_highly_compressed_entry_is_suspicious_even_under_the_size_limit(tmp_path: Path) -> None:
    bomb = zeros_zip(tmp_path / "bomb.zip", "bomb.jpg", 4 * MiB)
    small = zeros_zip(tmp_path / "small.zip", "small.jpg", 512 * 1024)

    assert problems(bomb) == {"bomb.jpg": "suspicious compression ratio"}
    assert problems(bomb, ArchiveBudget(max_entry_uncompressed=MiB)) == {"bomb.jpg": "too large"}
    assert problems(bomb, ArchiveBudget(max_compression_ratio=10_000)) == {"bomb.jpg": None}
    # Small entries are not judged by their ratio: they cost nothing to read.
    assert problems(small) == {"small.jpg": None}


def test_a_header_understating_the_size_is_caught_while_reading(tmp_path: Path, storage: LocalStorage) -> None:
    # A disguised bomb: 8 MiB of zeros whose headers claim 1000 bytes, so the declared size and ratio look fine.
    # zipfile stops at the declared size and then finds the checksum wrong; the entry is skipped, nothing stays.
    path = zeros_zip(tmp_path / "liar.zip", "portfolio/liar.jpg", 8 * MiB)
    patch_entry(path, "portfolio/liar.jpg", central={"file_size": 1000}, local={"file_size": 1000})

    with open_archive(path, ArchiveBudget(max_entry_uncompressed=MiB)) as archive:
        (liar,) = archive.entries
        assert (liar.size, liar.problem) == (1000, None)
        with pytest.raises(CorruptEntryError) as refused, archive.open(liar) as reader:
            storage.stage_reader(reader)
        assert refused.value.message == "corrupt data (checksum mismatch)"
        assert archive.total_read <= 1000
    assert files_under(storage.root) == set()


def test_a_header_overstating_the_size_is_caught_at_the_end(make_zip: MakeZip) -> None:
    path = make_zip([("front.jpg", b"x" * 1000)], compression=zipfile.ZIP_STORED)
    patch_entry(path, "front.jpg", central={"file_size": 5000}, local={"file_size": 5000})

    with open_archive(path) as archive:
        (front,) = archive.entries
        assert front.size == 5000
        sink = io.BytesIO()
        with pytest.raises(CorruptEntryError) as refused:
            archive.copy_entry(front, sink)
        assert refused.value.message == "corrupt data (shorter than its header says)"


def test_a_caller_limit_is_enforced_on_the_bytes_actually_read(make_zip: MakeZip) -> None:
    path = make_zip([("metadata.json", b"{" + b" " * 2000 + b"}")])

    with open_archive(path) as archive:
        (metadata,) = archive.entries
        with pytest.raises(EntryTooLargeError) as refused:
            archive.read_bytes(metadata, max_bytes=1000)
        assert refused.value.message == "too large (over 1000 bytes)"
        assert len(archive.read_bytes(metadata, max_bytes=2002)) == 2002


def test_declared_sizes_past_the_total_budget_fail_the_archive(make_zip: MakeZip) -> None:
    path = make_zip([("a.jpg", os.urandom(2 * MiB)), ("b.jpg", os.urandom(2 * MiB))], compression=zipfile.ZIP_STORED)
    budget = ArchiveBudget(max_total_uncompressed=3 * MiB)

    with pytest.raises(ArchiveError) as refused:
        list_entries(path, budget)
    assert refused.value.message == "the archive unpacks to more than 3 MB"
    # Entries that will be skipped anyway do not count.
    assert problems(path, ArchiveBudget(max_total_uncompressed=3 * MiB, max_entry_uncompressed=MiB)) == {
        "a.jpg": "too large",
        "b.jpg": "too large",
    }


def test_the_running_total_counts_every_byte_decompressed(make_zip: MakeZip) -> None:
    path = make_zip([("a.jpg", os.urandom(2 * MiB))], compression=zipfile.ZIP_STORED)

    with open_archive(path, ArchiveBudget(max_total_uncompressed=3 * MiB)) as archive:
        (entry,) = archive.entries
        archive.copy_entry(entry, io.BytesIO())
        # Reading again (a retried step) is more decompression work: it counts, and the total is enforced.
        with pytest.raises(ArchiveError) as refused:
            archive.copy_entry(entry, io.BytesIO())
        assert refused.value.message == "the archive unpacks to more than 3 MB"
        assert 3 * MiB < archive.total_read <= 3 * MiB + 64 * 1024


# --- entry counts and the central directory ----------------------------------------------------------------------


def test_thousands_of_entries_fail_the_archive(make_zip: MakeZip) -> None:
    many = make_zip([(f"f{index}.jpg", b"") for index in range(2001)])
    enough = make_zip([(f"f{index}.jpg", b"") for index in range(2000)], name="enough.zip")

    with pytest.raises(ArchiveError) as refused:
        list_entries(many)
    assert refused.value.message == "the archive has more than 2000 entries"
    assert len(list_entries(enough)) == 2000


def test_an_entry_count_that_lies_does_not_help(make_zip: MakeZip) -> None:
    path = make_zip([(f"f{index}.jpg", b"") for index in range(60)])
    patch_declared_entry_count(path, 3)

    with pytest.raises(ArchiveError, match="more than 50 entries"):
        list_entries(path, ArchiveBudget(max_entries=50))


def test_a_central_directory_too_large_for_the_budget_is_refused_before_parsing(make_zip: MakeZip) -> None:
    # Few entries, but a file list bloated with comments: zipfile would read all of it into memory.
    members: list[Member] = []
    for index in range(3):
        info = zipfile.ZipInfo(f"f{index}.jpg")
        info.comment = b"c" * 60_000
        members.append((info, b""))
    path = make_zip(members)
    budget = ArchiveBudget(max_entries=10)
    assert budget.max_directory_bytes < 3 * 60_000

    with pytest.raises(ArchiveError, match="more than 10 entries"):
        list_entries(path, budget)
    assert len(list_entries(path)) == 3


def with_zip64_trailer(path: Path, *, declared_entries: int | None = None) -> Path:
    """Rewrite the archive's trailer the ZIP64 way: the classic record holds only "see ZIP64" markers."""
    data = path.read_bytes()
    assert data[-22:-18] == b"PK\x05\x06"
    entries, directory_size, directory_offset = struct.unpack_from("<HLL", data, len(data) - 22 + 10)
    count = entries if declared_entries is None else declared_entries
    record_at = len(data) - 22
    zip64_record = struct.pack(
        "<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, directory_size, directory_offset
    )
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, record_at, 1)
    classic = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    path.write_bytes(data[:record_at] + zip64_record + locator + classic)
    return path


def test_a_zip64_trailer_is_read_for_the_entry_count(make_zip: MakeZip) -> None:
    members: list[Member] = [(f"f{index}.jpg", b"x") for index in range(3)]
    honest = with_zip64_trailer(make_zip(members))
    lying = with_zip64_trailer(make_zip(members, name="lying.zip"), declared_entries=5000)

    assert [entry.name for entry in list_entries(honest)] == ["f0.jpg", "f1.jpg", "f2.jpg"]
    with pytest.raises(ArchiveError, match="more than 2000 entries"):
        list_entries(lying)


# --- damaged files -----------------------------------------------------------------------------------------------


def test_a_stored_entry_with_flipped_bytes_is_skipped_and_the_rest_reads(
    make_zip: MakeZip, storage: LocalStorage
) -> None:
    path = make_zip([("front.jpg", b"A" * 5000), ("side.jpg", b"side")], compression=zipfile.ZIP_STORED)
    data = bytearray(path.read_bytes())
    start = data_offset(path, "front.jpg")
    data[start + 2000 : start + 2004] = b"ZZZZ"
    path.write_bytes(bytes(data))

    with open_archive(path) as archive:
        front, side = archive.entries
        assert front.problem is None  # the damage is in the data: only reading finds it
        with pytest.raises(CorruptEntryError) as refused, archive.open(front) as reader:
            storage.stage_reader(reader)
        assert refused.value.message == "corrupt data (checksum mismatch)"
        assert archive.read_bytes(side) == b"side"
    assert files_under(storage.root) == set()


def test_a_deflated_entry_with_damaged_data_is_skipped(make_zip: MakeZip) -> None:
    text = b"".join(f"line {index} of a long text\n".encode() for index in range(5000))
    path = make_zip([("notes.txt", text)])
    data = bytearray(path.read_bytes())
    start = data_offset(path, "notes.txt")
    data[start + 100 : start + 140] = bytes(40)
    path.write_bytes(bytes(data))

    with open_archive(path) as archive, pytest.raises(CorruptEntryError) as refused:
        archive.read_bytes(archive.entries[0])
    assert refused.value.message.startswith("corrupt data")


def test_an_entry_whose_local_header_is_missing_is_skipped(make_zip: MakeZip) -> None:
    path = make_zip([("front.jpg", b"front"), ("side.jpg", b"side")])
    patch_entry(path, "front.jpg", local={"signature": 0})

    with open_archive(path) as archive:
        front, side = archive.entries
        with pytest.raises(CorruptEntryError, match="corrupt entry header"):
            archive.open(front)
        assert archive.read_bytes(side) == b"side"


@pytest.mark.parametrize(
    "content",
    [b"", b"not a zip at all", os.urandom(5000), b"PK\x03\x04" + bytes(100)],
    ids=["empty file", "text", "random bytes", "zip magic only"],
)
def test_a_file_that_is_not_a_zip_fails(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "upload.zip"
    path.write_bytes(content)

    with pytest.raises(ArchiveError) as refused:
        list_entries(path)
    assert refused.value.message == "the file is not a ZIP archive"


def test_a_zip_with_a_damaged_file_list_fails(make_zip: MakeZip) -> None:
    path = make_zip([("front.jpg", b"front")])
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        data[archive.start_dir : archive.start_dir + 4] = b"XXXX"
    path.write_bytes(bytes(data))

    with pytest.raises(ArchiveError) as refused:
        list_entries(path)
    assert refused.value.message == "the ZIP archive is damaged: its list of files cannot be read"


def test_an_entry_from_another_archive_is_refused(make_zip: MakeZip) -> None:
    first = make_zip([("front.jpg", b"1")], name="first.zip")
    second = make_zip([("side.jpg", b"2")], name="second.zip")
    (foreign,) = list_entries(first)

    with open_archive(second) as archive, pytest.raises(ValueError, match="does not belong"):
        archive.open(foreign)


# --- nothing is written anywhere ----------------------------------------------------------------------------------


def test_a_hostile_archive_writes_nothing_outside_the_sink(tmp_path: Path, make_zip: MakeZip) -> None:
    # The job's loop: skip what is flagged, stage the rest into storage, skip what fails while reading. The
    # storage sits two folders deep so that a traversal relative to it would land inside tmp_path, in view.
    storage = LocalStorage(tmp_path / "deep" / "storage")
    link = zipfile.ZipInfo("portfolio/link.jpg")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    path = make_zip(
        [
            ("../evil.jpg", b"evil"),
            ("a/../../../b.jpg", b"evil"),
            ("/etc/absolute-evil.jpg", b"evil"),
            ("C:\\evil.jpg", b"evil"),
            (link, b"../../../../etc/passwd"),
            ("__MACOSX/._front.jpg", b"junk"),
            ("front.jpg", b"front"),
            ("portfolio/look.jpg", b"look"),
        ]
    )
    skipped: dict[str, str] = {}
    stored: dict[str, str] = {}

    with open_archive(path) as archive:
        for entry in archive.entries:
            if entry.problem is not None:
                skipped[entry.name] = entry.problem
                continue
            try:
                with archive.open(entry) as reader:
                    staged = storage.stage_reader(reader)
            except EntryError as error:
                skipped[entry.name] = error.message
                continue
            stored[entry.name] = asyncio.run(storage.commit(staged, extension=entry.extension))

    assert skipped == {
        "../evil.jpg": "path traversal",
        "a/../../../b.jpg": "path traversal",
        "/etc/absolute-evil.jpg": "absolute path",
        "C:\\evil.jpg": "path traversal",
        "portfolio/link.jpg": "symbolic link",
        "__MACOSX/._front.jpg": "hidden or system file",
    }
    assert {name: storage.path_for(key).read_bytes() for name, key in stored.items()} == {
        "front.jpg": b"front",
        "portfolio/look.jpg": b"look",
    }
    # The only files written are the two content-addressed ones inside the storage folder.
    assert files_under(tmp_path) == {path} | {storage.path_for(key) for key in stored.values()}
    assert not Path("/etc/absolute-evil.jpg").exists()
    assert not (Path.cwd() / "evil.jpg").exists()


def test_a_name_cut_short_by_a_nul_byte_is_skipped(make_zip: MakeZip) -> None:
    # zipfile truncates names at a NUL byte; the raw name shows what the archive really holds.
    path = make_zip([("front.jpg#.exe", b"payload")])
    path.write_bytes(path.read_bytes().replace(b"front.jpg#.exe", b"front.jpg\x00.exe"))

    assert problems(path) == {"front.jpg\x00.exe": "invalid name"}


def test_zip_names_lists_raw_names_without_reading_data(make_zip: MakeZip, tmp_path: Path) -> None:
    path = make_zip([("archive/data.pkl", b"\x80\x04."), ("archive/data/0", bytes(16)), ("../odd", b"")])

    assert zip_names(path, max_entries=10) == ["archive/data.pkl", "archive/data/0", "../odd"]
    with pytest.raises(ArchiveError, match="more than 2 entries"):
        zip_names(path, max_entries=2)
    not_zip = tmp_path / "plain.bin"
    not_zip.write_bytes(b"plain")
    with pytest.raises(ArchiveError, match="not a ZIP archive"):
        zip_names(not_zip, max_entries=10)
