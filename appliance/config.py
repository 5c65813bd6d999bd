"""The one typed settings object, read once at start-up from the config file and the environment."""

from __future__ import annotations

import ipaddress
import os
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from appliance.call.turns import TurnConfig
from appliance.errors import ConfigError
from appliance.phone import DEFAULT_REGION, check_region
from appliance.settings_errors import describe_validation_error
from sip.admission import AdmissionLimits
from sip.config import LIBRARY_MAX_CALLS, EndpointConfig

CONFIG_ENV = "RECEPTIONIST_CONFIG"
Transport = Literal["udp", "tcp"]
Codec = Literal["G722", "PCMU", "PCMA"]
_TRANSPORTS: tuple[Transport, ...] = ("udp",)  # TCP is opt-in: see the config template
_CODECS: tuple[Codec, ...] = ("G722", "PCMU", "PCMA")
_SIP = EndpointConfig()
_ADMISSION = AdmissionLimits()
_TURNS = TurnConfig()
RETENTION_KINDS = ("recordings", "sms", "call_logs", "transcripts", "summaries")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Registration(_Section):
    """An account registered at a PBX or trunk, so it can send calls to the box."""

    registrar: str = Field(pattern=r"^sips?:")
    user: str = Field(min_length=1)
    domain: str = ""
    password_file: Path | None = None


class SipSettings(_Section):
    """Where the box listens for calls and whom it accepts them from."""

    bind_address: str = _SIP.bind_address
    port: int = Field(default=_SIP.port, ge=1, le=65535)
    transports: list[Transport] = Field(default_factory=lambda: list(_TRANSPORTS), min_length=1)
    rtp_port: int = Field(default=_SIP.rtp_port, ge=1024, le=65000)
    rtp_port_range: int = Field(default=_SIP.rtp_port_range, ge=2, le=20000)
    allowed_sources: list[str] = Field(default_factory=lambda: list(_SIP.allowed_sources))
    codecs: list[Codec] = Field(default_factory=lambda: list(_CODECS))
    identity: str = _SIP.identity
    registrations: list[Registration] = Field(default_factory=list)
    trunk_sources: list[str] = Field(default_factory=lambda: list(_ADMISSION.trunk_sources))
    invites_per_second_per_source: float = Field(default=_ADMISSION.invites_per_second_per_source, gt=0.0, le=100.0)
    invite_burst_per_source: int = Field(default=_ADMISSION.invite_burst_per_source, ge=1, le=100)

    @field_validator("allowed_sources", "trunk_sources")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for net in value:
            try:
                ipaddress.ip_network(net, strict=False)
            except ValueError as exc:
                raise ValueError(f"'{net}' is not an address or network like 192.168.1.0/24") from exc
        return value

    @field_validator("bind_address")
    @classmethod
    def _address(cls, value: str) -> str:
        try:
            ipaddress.ip_address(value)
        except ValueError as exc:
            raise ValueError(f"'{value}' is not an IP address (use 0.0.0.0 for all)") from exc
        return value


class WebSettings(_Section):
    """The admin panel's HTTPS listener, its certificate, and the plain-HTTP port that only redirects to it."""

    bind_address: str = "0.0.0.0"  # the LAN: sign-in guards it, and no account exists until one is made
    port: int = Field(default=8443, ge=1, le=65535)
    certificate: Path = Path("panel.crt")  # made by 'receptionist certs make', or the admin's own
    key: Path = Path("panel.key")
    redirect_port: int = Field(default=0, ge=0, le=65535)  # 0: no plain-HTTP listener


class ModelSettings(_Section):
    """Model files; empty means the embedded default model."""

    whisper: Path | None = None
    whisper_device: Literal["auto", "cpu", "cuda"] = "auto"
    whisper_language: str = Field(default="en", pattern=r"^([a-z]{2,3})?$")  # a multilingual model is told it
    whisper_beam: int = Field(default=0, ge=0, le=10)  # guesses weighed with business words; 0: 5 on GPU, 1 on CPU
    llm: Path | None = None
    llm_context: int = Field(default=2048, ge=512, le=131072)
    llm_gpu_layers: int = Field(default=0, ge=-1)
    llm_copies: int = Field(default=0, ge=0, le=4)
    llm_history_messages: int = Field(default=0, ge=0, le=20)
    llm_answers_questions: bool = False
    voice: Path | None = None
    voice_config: Path | None = None


class TurnSettings(_Section):
    """Turn-taking: when the caller's turn ends, and what interrupts the receptionist."""

    silence_window_ms: int = Field(default=_TURNS.silence_window_ms, ge=200, le=3000)
    barge_in_ms: int = Field(default=_TURNS.barge_in_ms, ge=100, le=3000)
    finished_after_ms: int = Field(default=_TURNS.finished_after_ms, ge=100, le=3000)
    unfinished_window_ms: int = Field(default=_TURNS.unfinished_window_ms, ge=200, le=5000)

    def config(self) -> TurnConfig:
        """The turn detector's knobs."""
        return TurnConfig(silence_window_ms=self.silence_window_ms, barge_in_ms=self.barge_in_ms,
                          finished_after_ms=self.finished_after_ms, unfinished_window_ms=self.unfinished_window_ms)


class CallSettings(_Section):
    """Limits of a conversation and of the lines."""

    no_input_timeout_s: float = Field(default=10.0, ge=2.0, le=120.0)
    max_call_s: float = Field(default=600.0, ge=30.0, le=7200.0)
    transfer_ring_s: float = Field(default=20.0, ge=5.0, le=120.0)
    transfer_answer_s: float = Field(default=10.0, ge=3.0, le=60.0)
    reply_deadline_s: float = Field(default=2.0, ge=0.5, le=30.0)
    max_concurrent_calls: int = Field(default=_ADMISSION.max_calls, ge=1)
    max_calls_per_source: int = Field(default=_ADMISSION.max_calls_per_source, ge=1)

    @field_validator("max_concurrent_calls", "max_calls_per_source")
    @classmethod
    def _lines(cls, value: int) -> int:
        if value > LIBRARY_MAX_CALLS:
            raise ValueError(f"this build's SIP library holds at most {LIBRARY_MAX_CALLS} calls at once; for "
                             "more, run several appliances behind a SIP load balancer (README: Capacity)")
        return value


class BusinessSettings(_Section):
    """Which business profile the receptionist speaks for, and the country its callers' national numbers are in."""

    profile: Path = Path("business.toml")
    default_region: str = DEFAULT_REGION

    @field_validator("default_region")
    @classmethod
    def _region(cls, value: str) -> str:
        return check_region(value)


class StorageSettings(_Section):
    """Where the master key of the encrypted call database lives (a systemd credential takes precedence)."""

    master_key: Path = Path("master.key")


class RetentionSettings(_Section):
    """How many days each kind of data is kept; 0 keeps it until deleted."""

    recordings_days: int = Field(default=30, ge=0)
    sms_days: int = Field(default=90, ge=0)
    call_logs_days: int = Field(default=365, ge=0)
    transcripts_days: int = Field(default=0, ge=0)
    summaries_days: int = Field(default=0, ge=0)

    def windows(self) -> dict[str, int | None]:
        """The windows by kind, in days, None for 'until deleted' (the shape appliance.storage.retention takes)."""
        return {kind: getattr(self, f"{kind}_days") or None for kind in RETENTION_KINDS}


class Settings(_Section):
    """All settings of the appliance."""

    data_dir: Path = Path(".")
    sip: SipSettings = Field(default_factory=SipSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    models: ModelSettings = Field(default_factory=ModelSettings)
    call: CallSettings = Field(default_factory=CallSettings)
    turns: TurnSettings = Field(default_factory=TurnSettings)
    business: BusinessSettings = Field(default_factory=BusinessSettings)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)

    @model_validator(mode="before")
    @classmethod
    def _turn_keys_of_old_configs(cls, data: object) -> object:
        """Configs written before [turns] existed set silence_window_ms and barge_in_ms under [call]."""
        if isinstance(data, dict) and isinstance(call := data.get("call"), dict):
            moved = {k: call[k] for k in ("silence_window_ms", "barge_in_ms") if k in call}
            if moved:
                turns = data.get("turns")
                turns = turns if isinstance(turns, dict) else {}
                data = {**data, "call": {k: v for k, v in call.items() if k not in moved},
                        "turns": {**moved, **turns}}
        return data

    @property
    def recordings_dir(self) -> Path:
        """Where encrypted call recordings are kept."""
        return self.data_dir / "recordings"

    @property
    def database_path(self) -> Path:
        """The SQLite file holding the call records."""
        return self.data_dir / "receptionist.db"


def default_config_path() -> Path:
    """$RECEPTIONIST_CONFIG, or data/config.toml under the working directory."""
    return Path(os.environ.get(CONFIG_ENV, "data/config.toml"))


def load_settings(path: Path | None = None) -> Settings:
    """Read and validate the config file; relative paths in it are relative to the file's folder."""
    path = path or default_config_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(
            f"config file {path} not found; run 'scripts/setup.sh' (or 'receptionist init') to create one, "
            f"or set {CONFIG_ENV}"
        ) from exc
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from exc
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(path, exc)) from exc
    return _anchor_paths(settings, path.parent)


def _anchor(base: Path, value: Path | None) -> Path | None:
    return None if value is None else (value if value.is_absolute() else base / value)


def _anchor_paths(settings: Settings, base: Path) -> Settings:
    models = settings.models.model_copy(
        update={k: _anchor(base, getattr(settings.models, k)) for k in ("whisper", "llm", "voice", "voice_config")}
    )
    business = settings.business.model_copy(update={"profile": _anchor(base, settings.business.profile) or base})
    storage = StorageSettings(master_key=_anchor(base, settings.storage.master_key) or base)
    web = settings.web.model_copy(update={"certificate": _anchor(base, settings.web.certificate) or base,
                                          "key": _anchor(base, settings.web.key) or base})
    data_dir = _anchor(base, settings.data_dir) or base
    return settings.model_copy(update={"models": models, "business": business, "data_dir": data_dir,
                                       "storage": storage, "web": web})
