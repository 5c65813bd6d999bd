"""The master key in the settings and in `receptionist init`."""

from __future__ import annotations

from pathlib import Path

from appliance.cli import init
from appliance.config import load_settings
from appliance.storage.store import CallStore
from tests.store.conftest import add_call


def test_init_creates_a_private_master_key_and_never_replaces_it(tmp_path: Path) -> None:
    assert tmp_path / "master.key" in init(tmp_path)
    key = (tmp_path / "master.key").read_bytes()
    assert (tmp_path / "master.key").stat().st_mode & 0o777 == 0o600
    init(tmp_path, force=True)
    assert (tmp_path / "master.key").read_bytes() == key


def test_the_store_opens_with_the_configured_key(tmp_path: Path) -> None:
    init(tmp_path)
    (tmp_path / "keys").mkdir()
    (tmp_path / "master.key").rename(tmp_path / "keys" / "box.key")
    config = tmp_path / "config.toml"
    config.write_text(config.read_text().replace('master_key = "master.key"', 'master_key = "keys/box.key"'))
    settings = load_settings(config)
    assert settings.storage.master_key == tmp_path / "keys" / "box.key"
    store = CallStore.open(settings)
    add_call(store, "c1")
    store.close()
    assert not (tmp_path / "master.key").exists()
    again = CallStore.open(settings)
    assert again.call("c1")["caller_name"] == "Ana Canary"
    again.close()
