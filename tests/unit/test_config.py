"""Config loading: defaults, paths, and errors that name the key."""

from pathlib import Path

import pytest

from appliance.cli import init
from appliance.config import Settings, load_settings
from appliance.errors import ConfigError
from appliance.sipconfig import endpoint_config
from sip.config import EndpointConfig


def test_the_commented_template_loads_with_safe_defaults(tmp_path: Path) -> None:
    init(tmp_path)
    settings = load_settings(tmp_path / "config.toml")
    assert settings.sip.port == 5060 and settings.sip.transports == ["udp"]  # TCP is opt-in
    assert "192.168.0.0/16" in settings.sip.allowed_sources
    assert settings.web.bind_address == "0.0.0.0"  # the panel is for the LAN, behind sign-in and HTTPS
    assert settings.models.llm is None and settings.models.whisper is None
    assert settings.business.profile == tmp_path / "business.toml"
    assert settings.business.default_region == "US"
    assert settings.database_path == tmp_path / "receptionist.db"


def test_init_never_overwrites(tmp_path: Path) -> None:
    init(tmp_path)
    (tmp_path / "business.toml").write_text("name = 'Mine'\n")
    assert init(tmp_path) == []
    assert (tmp_path / "business.toml").read_text() == "name = 'Mine'\n"


def test_relative_model_paths_are_relative_to_the_config(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[models]\nllm = "models/big.gguf"\n')
    assert load_settings(path).models.llm == tmp_path / "models" / "big.gguf"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[sip]\nport = 70000\n", "sip.port"),
        ("[sip]\nallowed_sources = ['10.0.0.300/8']\n", "10.0.0.300/8"),
        ("[sip]\nbind_address = 'everywhere'\n", "sip.bind_address"),
        ("[call]\nsilence_windw_ms = 300\n", "call.silence_windw_ms: unknown key"),
        ("[sip\nport = 1\n", "cannot read config file"),
        ("[call]\nmax_concurrent_calls = 8\n", "call.max_concurrent_calls: Value error, this build's SIP library "
                                              "holds at most 4 calls"),
        ("[sip]\ntrunk_sources = ['pbx.lan']\n", "'pbx.lan' is not an address or network"),
        ("[business]\ndefault_region = 'USA'\n", "business.default_region: Value error, 'USA' is not a region code"),
    ],
)
def test_bad_config_names_the_key(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert expected in str(err.value)


def test_missing_config_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"setup\.sh"):
        load_settings(tmp_path / "config.toml")


def test_turn_taking_is_one_section_and_old_configs_still_load(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[turns]\nsilence_window_ms = 700\n")
    assert load_settings(config).turns.config().silence_window_ms == 700
    config.write_text("[call]\nsilence_window_ms = 650\nbarge_in_ms = 300\nmax_call_s = 60\n")  # before [turns]
    settings = load_settings(config)
    assert (settings.turns.silence_window_ms, settings.turns.barge_in_ms, settings.call.max_call_s) == (650, 300, 60)


def test_sip_defaults_have_one_source() -> None:
    assert tuple(Settings().sip.allowed_sources) == EndpointConfig().allowed_sources
    assert endpoint_config(Settings()) == EndpointConfig()


def test_the_default_region_survives_path_anchoring(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[business]\nprofile = "shop.toml"\ndefault_region = "gb"\n')
    business = load_settings(path).business
    assert (business.profile, business.default_region) == (tmp_path / "shop.toml", "GB")
