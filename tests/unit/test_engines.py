"""The shared engines: calls take the LLM in turn, and a reply being spoken does not hold it; an LLM stuck inside
a reply is left behind (later replies take the other copies, or fail at once when every copy is stuck) until it
lets go; load errors name the config key."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from appliance.call import engines as engines_module
from appliance.call.engines import Engines, LlmPool, llm_pool, load_engines
from appliance.call.unloaded import UnloadedChat, UnloadedTranscriber
from appliance.config import load_settings
from appliance.errors import ApplianceError, ErrorCode, StageError
from models import ChatMessage, ModelError, ModelRegistry


class SlowChat:
    """A chat model writing three pieces, 20 ms each, one stream at a time."""

    def __init__(self) -> None:
        self.active = 0
        self.overlapped = False

    def stream(self, messages: list[ChatMessage], max_tokens: int = 80,
               should_stop: Callable[[], bool] | None = None) -> Iterator[str]:
        self.active += 1
        self.overlapped |= self.active > 1
        try:
            for piece in ("One", " two", " three."):
                time.sleep(0.02)
                yield piece
        finally:
            self.active -= 1


async def test_a_reply_being_spoken_does_not_hold_the_llm() -> None:
    chat = SlowChat()
    engines = Engines(None, chat, None)  # type: ignore[arg-type]
    first_piece_at: dict[str, float] = {}

    async def reply(name: str, speaking_s: float) -> str:
        text = ""
        async for piece in engines.stream_chat([ChatMessage("user", name)]):
            first_piece_at.setdefault(name, time.monotonic())
            text += piece
            await asyncio.sleep(speaking_s)  # synthesizing and queueing each piece
        return text

    started = time.monotonic()
    texts = await asyncio.gather(reply("a", 0.5), reply("b", 0.0))
    assert texts == ["One two three."] * 2 and not chat.overlapped
    assert first_piece_at["b"] - started < 0.5  # b did not wait for a's 1.5 s of speaking


class StuckChat:
    """A chat model stuck inside llama.cpp: it writes one piece, then blocks (never asking should_stop) until
    `release` is set."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.calls = 0

    def stream(self, messages: list[ChatMessage], max_tokens: int = 80,
               should_stop: Callable[[], bool] | None = None) -> Iterator[str]:
        self.calls += 1
        yield "Well,"
        self.release.wait(30)
        yield " fine."


async def read(engines: Engines) -> str:
    text = ""
    async for piece in engines.stream_chat([ChatMessage("user", "hi")]):
        text += piece
    return text


async def test_a_stuck_llm_is_left_behind_and_fails_later_replies_until_it_lets_go(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(engines_module, "STOP_WAIT_S", 0.1)
    chat = StuckChat()
    engines = Engines(None, chat, None)  # type: ignore[arg-type]
    reply = asyncio.ensure_future(read(engines))
    await asyncio.sleep(0.2)
    reply.cancel()  # the call gave up on it (its deadline passed)
    started = time.monotonic()
    with pytest.raises(asyncio.CancelledError):
        await reply
    assert time.monotonic() - started < 0.5  # the reply did not wait for the stuck thread
    assert engines.llm_stuck_s is not None and "did not stop within" in caplog.text
    with pytest.raises(StageError) as failed:  # another call's reply: at once, not queued behind the stuck one
        await asyncio.wait_for(read(engines), 0.5)
    assert failed.value.code is ErrorCode.LLM and "stuck" in str(failed.value) and chat.calls == 1
    chat.release.set()  # the thread comes back out of llama.cpp
    for _ in range(100):
        if engines.llm_stuck_s is None:
            break
        await asyncio.sleep(0.01)
    assert engines.llm_stuck_s is None and "finished its stuck reply" in caplog.text
    assert await asyncio.wait_for(read(engines), 2) == "Well, fine."


async def test_replies_go_on_with_the_copies_not_stuck(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engines_module, "STOP_WAIT_S", 0.1)
    first, second = StuckChat(), StuckChat()
    engines = Engines(None, first, None, (second,))  # type: ignore[arg-type]
    stuck = asyncio.ensure_future(read(engines))  # takes the first copy, which gets stuck
    await asyncio.sleep(0.2)
    stuck.cancel()
    await asyncio.sleep(0.3)
    second.release.set()  # the second copy works
    assert await asyncio.wait_for(read(engines), 2) == "Well, fine." and second.calls == 1
    second.release.clear()
    stuck = asyncio.ensure_future(read(engines))  # and now gets stuck too
    await asyncio.sleep(0.2)
    stuck.cancel()
    await asyncio.sleep(0.3)
    with pytest.raises(StageError):  # every copy stuck: at once
        await asyncio.wait_for(read(engines), 0.5)
    first.release.set()
    second.release.set()


async def test_an_llm_that_writes_nothing_fails_the_reply(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engines_module, "LLM_STALL_S", 0.2)
    monkeypatch.setattr(engines_module, "STOP_WAIT_S", 0.1)
    chat = StuckChat()
    engines = Engines(None, chat, None)  # type: ignore[arg-type]
    with pytest.raises(StageError) as failed:
        await asyncio.wait_for(read(engines), 2)
    assert failed.value.code is ErrorCode.LLM and "wrote nothing for 0.2 s" in str(failed.value)
    chat.release.set()


def test_a_model_load_error_names_the_config_key(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[models]\nwhisper = "missing-whisper"\n')
    with pytest.raises(ApplianceError) as caught:
        load_engines(load_settings(config), ModelRegistry())
    assert caught.value.code is ErrorCode.MODEL and "Point models.whisper at" in str(caught.value)
    assert isinstance(caught.value.__cause__, ModelError) and caught.value.__cause__.config_key == "models.whisper"


def test_a_running_appliance_answers_with_stand_ins_for_models_that_do_not_load(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "broken.gguf").write_bytes(b"GGUF" + b"\x00" * 64)
    config = tmp_path / "config.toml"
    config.write_text('[models]\nwhisper = "missing-whisper"\nllm = "broken.gguf"\nvoice = "missing.onnx"\n')
    engines = load_engines(load_settings(config), ModelRegistry(), answering=True)
    assert isinstance(engines.transcriber, UnloadedTranscriber) and isinstance(engines.chat, UnloadedChat)
    assert engines.spare_chats == () and engines.synthesizer.synthesize("Hello.").size > 0  # the embedded voice
    assert [fault.key for fault in engines.faults] == ["models.whisper", "models.llm", "models.voice"]
    assert all(f"config key {fault.key}" in fault.text for fault in engines.faults)
    assert "the embedded default voice" in engines.faults[2].text and "restart the appliance" in engines.faults[0].text
    assert [r.levelname for r in caplog.records if "cannot load" in r.message] == ["ERROR"] * 3
    with pytest.raises(ModelError):
        engines.transcriber.transcribe(np.zeros(1600, dtype=np.float32))
    engines.chat.warm("You are a receptionist.")  # nothing to warm: the contexts are still built


async def test_a_reply_from_an_llm_that_did_not_load_fails_as_a_stage(tmp_path: Path) -> None:
    error = ModelError(tmp_path / "broken.gguf", "models.llm", "not a GGUF file", what="language model")
    engines = Engines(None, UnloadedChat(error), None)  # type: ignore[arg-type]
    with pytest.raises(ModelError, match=r"models\.llm"):
        [piece async for piece in engines.stream_chat([ChatMessage("user", "hello")])]


def test_with_no_voice_at_all_the_start_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[models]\nvoice = "missing.onnx"\n')
    registry = ModelRegistry()
    monkeypatch.setattr(registry, "synthesizer", lambda *a, **k: (_ for _ in ()).throw(
        ModelError(tmp_path / "missing.onnx", "models.voice", "not found", what="voice")))
    with pytest.raises(ApplianceError, match=r"models\.voice") as caught:
        load_engines(load_settings(config), registry, answering=True)
    assert caught.value.code is ErrorCode.MODEL


async def test_two_copies_of_the_llm_write_two_calls_replies_at_once() -> None:
    first, second = SlowChat(), SlowChat()
    engines = Engines(None, first, None, (second,))  # type: ignore[arg-type]

    async def reply(name: str) -> str:
        return "".join([piece async for piece in engines.stream_chat([ChatMessage("user", name)])])

    started = time.monotonic()
    texts = await asyncio.gather(reply("a"), reply("b"), reply("c"))
    assert texts == ["One two three."] * 3
    assert not first.overlapped and not second.overlapped  # each copy serves one reply at a time
    assert time.monotonic() - started < 0.06 * 3  # a and b at once, c after one of them: not three in a row


def test_the_llm_pool_follows_the_model_and_the_box() -> None:
    small, large = 100 << 20, 4 << 30
    assert llm_pool(0, small, cores=2, gpu_layers=0, lines=4) == LlmPool(4, 1)  # a one-thread copy per line
    assert llm_pool(0, small, cores=8, gpu_layers=0, lines=2) == LlmPool(2, 3)
    assert llm_pool(0, large, cores=2, gpu_layers=0, lines=4) == LlmPool(1, None)  # a big model: its own threads
    assert llm_pool(0, small, cores=2, gpu_layers=-1, lines=4) == LlmPool(1, None)  # on a GPU: one copy
    assert llm_pool(3, small, cores=8, gpu_layers=0, lines=4) == LlmPool(3, 2)  # as configured
    assert llm_pool(1, small, cores=2, gpu_layers=0, lines=4) == LlmPool(1, 1)


def test_the_configured_copies_are_loaded_once_each() -> None:
    from appliance.config import Settings  # noqa: PLC0415

    registry = ModelRegistry()
    engines = load_engines(Settings.model_validate({"models": {"llm_copies": 2}}), registry)
    assert engines.chat is not engines.spare_chats[0] and len(engines.spare_chats) == 1
    assert len([m for m in registry.loaded() if type(m).__name__ == "ChatModel"]) == 2
