"""Profile v2: brands with numbers, a team directory, routing rules, closures and after-hours paths; the
single-business file of before still loads as one brand; every error names the key."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from appliance.errors import ConfigError
from appliance.reception.profile import load_profile, load_profiles

TWO_BRANDS = """
[[brands]]
id = "maple"
name = "Maple Street Dental"
default = true
numbers = ["+1 555 0100", "frontdesk"]
timezone = "America/New_York"
voice = "voices/amy.onnx"
front_desk = "desk"
hours = { monday = ["08:00-12:00", "13:00-17:00"] }
closures = [{ on = "07-04", reason = "Independence Day" }, { on = "2026-12-24..2026-12-26", reason = "Christmas" }]
after_hours = { action = "transfer", to = "oncall" }

[[brands.team]]
id = "desk"
name = "Front desk"
target = "200"

[[brands.team]]
id = "ann"
name = "Ann Lee"
role = "billing"
target = "sip:ann@pbx.example.com"
transfer = "blind"

[[brands.team]]
id = "oncall"
name = "Dr. Okafor"
target = "+15550199"

[[brands.routes]]
need = "insurance claims"
words = ["invoice", "bill"]
to = "ann"

[[brands]]
id = "glow"
name = "Glow Salon"
numbers = ["salon", "+1 212 555 0300"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "business.toml"
    path.write_text(text)
    return path


def test_two_brands_pick_by_called_number(tmp_path: Path) -> None:
    profile = load_profiles(write(tmp_path, TWO_BRANDS))
    assert [b.id for b in profile.brands] == ["maple", "glow"]
    assert profile.brand_for("sip:salon@10.0.0.5").id == "glow"
    assert profile.brand_for("+15550100").id == "maple"
    assert profile.brand_for("FrontDesk").id == "maple"
    assert profile.brand_for("unknown").id == "maple"  # the default answers what no brand claims
    assert profile.brand_for("sip:+12125550300@trunk").id == "glow"
    for called in ("12125550300", "2125550300", "sip:(212) 555-0300@10.0.0.5"):  # a trunk's forms of one number
        assert profile.brand_for(called).id == "glow", called
    assert profile.brand_for("+12125550301").id == "maple"
    maple = profile.default
    assert maple.voice == tmp_path / "voices" / "amy.onnx"
    assert [m.name for m in maple.team] == ["Front desk", "Ann Lee", "Dr. Okafor"]
    assert maple.routes[0].to == "ann" and maple.after_hours.to == "oncall"


def test_a_call_named_two_ways_goes_to_the_first_name_a_brand_claims(tmp_path: Path) -> None:
    """The request URI's user part first, then the To header's: a PBX may rewrite either."""
    profile = load_profiles(write(tmp_path, TWO_BRANDS))
    assert profile.brand_for(("salon", "frontdesk")).id == "glow"
    assert profile.brand_for(("box-contact", "+1 212 555 0300")).id == "glow"  # a trunk's INVITE to our contact
    assert profile.brand_for(("frontdesk", "salon")).id == "maple"
    assert profile.brand_for(("nobody", "unknown")).id == "maple" and profile.brand_for(()).id == "maple"


def test_closures_shut_the_business_on_their_days(tmp_path: Path) -> None:
    maple = load_profiles(write(tmp_path, TWO_BRANDS)).default
    closure = maple.closure_on(date(2030, 7, 4))
    assert closure is not None and closure.reason == "Independence Day"
    assert maple.closure_on(date(2026, 12, 25)) is not None and maple.closure_on(date(2027, 12, 25)) is None
    monday_july_4_2033 = datetime(2033, 7, 4, 14, 0, tzinfo=UTC)  # 10 AM in New York, a Monday
    assert not maple.is_open(monday_july_4_2033)
    assert maple.is_open(datetime(2033, 7, 11, 14, 0, tzinfo=UTC))


def test_the_single_business_file_still_loads_as_one_brand(tmp_path: Path) -> None:
    path = write(tmp_path, 'name = "Corner Shop"\nhours = { monday = ["09:00-17:00"] }\n')
    profile = load_profiles(path)
    assert [b.name for b in profile.brands] == ["Corner Shop"] and profile.default.id == "main"
    assert load_profile(path).name == "Corner Shop"


def test_a_single_business_files_errors_name_its_own_keys(tmp_path: Path) -> None:
    path = write(tmp_path, 'name = "Corner Shop"\nhours = { monday = ["nine to five"] }\ncolour = "red"\n')
    with pytest.raises(ConfigError) as caught:
        load_profiles(path)
    assert "\n  hours.monday.0: " in str(caught.value) and "\n  colour: unknown key" in str(caught.value)
    assert "brands" not in str(caught.value)  # the file has no brands: its keys are named as written


@pytest.mark.parametrize(("change", "expected"), [
    ('to = "ann"', 'routes[0].to = \'nobody\' is not in the team'),
    ('id = "ann"', "appear more than once"),
    ('target = "200"', "is not a transfer target"),
    ('on = "07-04"', "'02-30' is not a closure; write '07-04'"),
    ('numbers = ["salon", "+1 212 555 0300"]', "claimed by several brands"),
    ('numbers = ["+1 555 0100", "frontdesk"]', "claimed by several brands"),
])
def test_bad_values_name_the_key_and_what_is_expected(tmp_path: Path, change: str, expected: str) -> None:
    bad = {'to = "ann"': 'to = "nobody"', 'id = "ann"': 'id = "desk"', 'target = "200"': 'target = "two hundred"',
           'on = "07-04"': 'on = "02-30"', 'numbers = ["salon", "+1 212 555 0300"]': 'numbers = ["frontdesk"]',
           'numbers = ["+1 555 0100", "frontdesk"]': 'numbers = ["+1 555 0100", "12125550300"]'}[change]
    path = write(tmp_path, TWO_BRANDS.replace(change, bad, 1))
    with pytest.raises(ConfigError, match=re.escape(expected)) as caught:
        load_profiles(path)
    assert str(path) in str(caught.value)


def test_after_hours_actions_need_their_details(tmp_path: Path) -> None:
    path = write(tmp_path, TWO_BRANDS.replace('after_hours = { action = "transfer", to = "oncall" }',
                                              'after_hours = { action = "announce" }'))
    with pytest.raises(ConfigError, match=r"brands\.0\.after_hours: Value error, action 'announce' needs"):
        load_profiles(path)


def test_the_readme_two_brand_profile_loads(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Brands, team and routing", 1)[1]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    profile = load_profiles(write(tmp_path, example))
    assert [b.id for b in profile.brands] == ["maple", "glow"]
    assert profile.brand_for("sip:salon@192.168.1.20").name == "Glow Salon"
    assert [m.id for m in profile.default.team] == ["desk", "ann", "oncall"]
