"""The shared engines: calls take the LLM in turn, and a reply being spoken does not hold it; load errors name
the config key."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from appliance.call.engines import Engines, load_engines
from appliance.config import load_settings
from appliance.errors import ApplianceError, ErrorCode
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


def test_a_model_load_error_names_the_config_key(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[models]\nwhisper = "missing-whisper"\n')
    with pytest.raises(ApplianceError) as caught:
        load_engines(load_settings(config), ModelRegistry())
    assert caught.value.code is ErrorCode.MODEL and "Point models.whisper at" in str(caught.value)
    assert isinstance(caught.value.__cause__, ModelError) and caught.value.__cause__.config_key == "models.whisper"
