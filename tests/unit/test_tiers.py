"""The tier table, the config rewrite and the self-test's verdict rule, as pure code."""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from pathlib import Path

import pytest

from appliance.config import Settings
from appliance.config_edit import set_keys
from appliance.tier_fit import Measured, estimate, judge, verdict
from appliance.tiers import PATH_KEYS, TIERS, Kind, Tier, configured_tier

TEMPLATE = resources.files("appliance").joinpath("config_template.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize("tier", TIERS.values(), ids=list(TIERS))
def test_every_tier_file_is_pinned_and_every_unpacked_file_has_a_checksum(tier: Tier) -> None:
    assert tier.downloads and set(tier.cost) == set(Kind)
    for item in tier.downloads:
        assert re.fullmatch(r"[0-9a-f]{64}", item.sha256) and item.size > 0 and item.url.startswith("https://")
        assert tier.packaged or bool(item.target) != bool(item.pieces)
        assert all(piece.target in tier.assembled for piece in item.pieces)
    assert set(tier.paths) <= set(PATH_KEYS)


def test_each_tier_settings_are_a_valid_config(tmp_path: Path) -> None:
    for tier in TIERS.values():
        text = set_keys(TEMPLATE, "models", dict(tier.settings(tmp_path)))
        models = Settings.model_validate(tomllib.loads(text)).models
        assert configured_tier(models.model_dump(), tmp_path, TIERS) == tier.name
    assert configured_tier({"whisper": "/else/where"}, tmp_path, TIERS) == "custom"


def test_set_keys_replaces_switched_off_keys_keeps_comments_and_adds_missing_ones() -> None:
    text = set_keys(TEMPLATE, "models", {"whisper": "/m/stt", "whisper_device": "cuda", "llm_gpu_layers": -1,
                                         "llm_answers_questions": True, "voice": None, "brand_new": 7})
    models = tomllib.loads(text)["models"]
    assert models["whisper"] == "/m/stt" and models["whisper_device"] == "cuda" and models["brand_new"] == 7
    assert models["llm_gpu_layers"] == -1 and models["llm_answers_questions"] is True and "voice" not in models
    assert 'whisper_device = "cuda"   # auto | cpu | cuda' in text
    assert '#   whisper = "/opt/models/faster-whisper-small.en"' in text  # the example in the comment stays
    assert text.count("[models]") == 1 and tomllib.loads(text)["turns"] == tomllib.loads(TEMPLATE)["turns"]
    back = set_keys(text, "models", {"whisper": None})
    assert '# whisper = ""' in back and "whisper" not in tomllib.loads(back)["models"]


def test_set_keys_adds_a_missing_section() -> None:
    assert tomllib.loads(set_keys('data_dir = "."\n', "models", {"llm": "/x.gguf"})) == {
        "data_dir": ".", "models": {"llm": "/x.gguf"}}


def measured(tier: str, *, stt: float = 100, llm: float = 60, tts: float = 80, p50: float = 600,
             p95: float = 1000) -> Measured:
    return Measured(tier, stt, llm, tts, p50, p95)


def test_an_estimate_scales_each_stage_by_the_size_ratio() -> None:
    m = measured("embedded", stt=100, llm=60, tts=80, p50=600, p95=1000)
    # STT 39 -> 74 M parameters, LLM 135 -> 1236 M, the same voice.
    extra = 100 * (74 / 39 - 1) + 60 * (1236 / 135 - 1)
    assert estimate(m, TIERS["embedded"].cost, TIERS["small"].cost) == pytest.approx((600 + extra, 1000 + extra))


def test_the_measured_tier_is_judged_by_its_numbers_and_the_bigger_one_by_its_estimate() -> None:
    fits = judge(measured("embedded", stt=20, llm=10, tts=80, p50=450, p95=800), TIERS, has_gpu=False)
    by_name = {fit.tier: fit for fit in fits}
    assert by_name["embedded"].how == "measured" and by_name["embedded"].meets_target
    assert by_name["small"].how == "estimated" and by_name["small"].p50_ms == pytest.approx(
        450 + 20 * (74 / 39 - 1) + 10 * (1236 / 135 - 1))
    assert by_name["small"].fits  # about 560 ms and 910 ms: within 700 and 1200
    assert by_name["gpu"].how == "not judged" and "no" in by_name["gpu"].note and not by_name["gpu"].fits
    assert verdict(measured("embedded"), fits).startswith("this box can carry the small tier")


@pytest.mark.parametrize(("p50", "p95", "fits", "meets"), [
    (500, 900, True, True), (501, 900, True, False), (700, 1200, True, False), (701, 1000, False, False),
    (600, 1201, False, False)])
def test_the_limits_are_inclusive(p50: float, p95: float, fits: bool, meets: bool) -> None:
    mine = judge(measured("embedded", p50=p50, p95=p95), TIERS, has_gpu=False)[0]
    assert (mine.fits, mine.meets_target) == (fits, meets)


def test_a_slow_box_carries_no_tier_and_says_what_it_measured() -> None:
    m = measured("embedded", p50=900, p95=1600)
    fits = judge(m, TIERS, has_gpu=False)
    assert not any(fit.fits for fit in fits)
    assert "carries no tier" in verdict(m, fits) and "p50 900 ms" in verdict(m, fits)


def test_a_gpu_box_is_not_judged_from_cpu_times_and_custom_models_estimate_nothing() -> None:
    gpu = judge(measured("small"), TIERS, has_gpu=True)[2]
    assert (gpu.how, gpu.fits) == ("not judged", False) and "run the self-test again" in gpu.note
    custom = judge(measured("custom", p50=600, p95=1000), TIERS, has_gpu=False)
    assert all(fit.how == "not judged" for fit in custom)
    assert "custom" in verdict(measured("custom", p50=600, p95=1000), custom)
