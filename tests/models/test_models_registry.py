"""The registry loads each model once per process and shares it, also under concurrent asks."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

import models.registry
from models import ModelRegistry, Transcriber, default_whisper_model, shared_registry


class _SlowTranscriber(Transcriber):
    """Stands in for the real engine: counts loads and takes a while, so racing threads overlap."""

    loads = 0

    def __init__(self, model_path: Path, **_opts: object) -> None:
        type(self).loads += 1
        time.sleep(0.2)
        self.model_path = model_path


def test_concurrent_asks_load_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(models.registry, "Transcriber", _SlowTranscriber)
    monkeypatch.setattr(_SlowTranscriber, "loads", 0)
    registry = ModelRegistry()
    got: list[Transcriber] = []
    threads = [threading.Thread(target=lambda: got.append(registry.transcriber(tmp_path))) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert _SlowTranscriber.loads == 1
    assert len(got) == 6 and all(model is got[0] for model in got)


def test_options_and_spellings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(models.registry, "Transcriber", _SlowTranscriber)
    registry = ModelRegistry()
    (tmp_path / "sub").mkdir()
    plain = registry.transcriber(tmp_path)
    assert registry.transcriber(tmp_path / "sub" / "..") is plain
    assert registry.transcriber(tmp_path, compute_type="float32") is not plain
    assert len(registry.loaded()) == 2


def test_failed_load_is_not_cached(tmp_path: Path) -> None:
    registry = ModelRegistry()
    with pytest.raises(models.ModelError) as caught:
        registry.chat(tmp_path / "missing.gguf", config_key="models.llm")
    assert registry.loaded() == [] and caught.value.config_key == "models.llm"


def test_shared_registry_is_one_instance() -> None:
    assert shared_registry() is shared_registry()


@pytest.mark.models
def test_real_models_are_shared() -> None:
    registry = ModelRegistry()
    transcriber = registry.transcriber(None)
    assert registry.transcriber(default_whisper_model()) is transcriber
    chat = registry.chat(None, n_ctx=1024)
    assert registry.chat(None, n_ctx=1024) is chat
    voice = registry.synthesizer(None)
    onnx = voice.model_path
    assert registry.synthesizer(onnx) is voice  # the .onnx.json next to it is implied
    assert registry.synthesizer(onnx, voice.config_path) is voice
    assert len(registry.loaded()) == 3
