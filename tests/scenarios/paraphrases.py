"""Paraphrases measured: how often the receptionist does the one right thing with each of many wordings of the
same request (`paraphrases.toml`). Pure: words in, the plan's kind out; the typed words in pytest, the words as
heard over a phone line in `bench.paraphrases`."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from appliance.clock import parse_moment
from appliance.reception.plan import Intent, ReplyPlan
from appliance.reception.policy import plan_reply
from appliance.reception.profile import BusinessProfile, Profile
from tests.scenarios.scenario import OPEN_MOMENT, PARAPHRASES

_KINDS = {Intent.MESSAGE: "message", Intent.HOURS: "hours", Intent.PRICE: "price", Intent.ADDRESS: "address",
          Intent.STATEMENT: "statement"}


@dataclass(frozen=True)
class Wording:
    """One phrasing of a request, the brand called, and what must come of it."""

    brand: str
    expect: str
    said: str


def load_wordings() -> list[Wording]:
    """Every phrasing in `paraphrases.toml`, in file order."""
    data = tomllib.loads(PARAPHRASES.read_text(encoding="utf-8"))
    return [Wording(group["brand"], group["expect"], said) for group in data["wording"] for said in group["said"]]


def kind(plan: ReplyPlan) -> str:
    """What a plan does, in the file's words: 'transfer:ann', 'message', 'hours', ... or its intent."""
    if plan.transfer_to is not None:
        return f"transfer:{plan.transfer_to.id}"
    return _KINDS.get(plan.intent, plan.intent.value)


def measure(profile: Profile, wordings: list[Wording], heard: Callable[[Wording], str] = lambda w: w.said,
            now: datetime | None = None) -> list[tuple[Wording, str, str]]:
    """Each wording, the words the policy got (`heard`: typed, by default), and what the policy did with them."""
    moment = now or parse_moment(OPEN_MOMENT)
    results = []
    for wording in wordings:
        brand: BusinessProfile = profile.brand_for(wording.brand)
        text = heard(wording)
        results.append((wording, text, kind(plan_reply(brand, text, now=moment))))
    return results


def report(results: list[tuple[Wording, str, str]], how: str) -> list[str]:
    """The rate overall and by request, then every miss with what was heard and done."""
    right = [r for r in results if r[2] == r[0].expect]
    lines = [f"paraphrases ({how}): {len(right)} of {len(results)} done right ({_rate(len(right), len(results))})"]
    for expect in dict.fromkeys(r[0].expect for r in results):
        group = [r for r in results if r[0].expect == expect]
        good = sum(r[2] == expect for r in group)
        lines.append(f"  {expect:<18} {good:>2} of {len(group):>2}")
    lines += [f"- {w.said!r} ({w.brand}): heard {text!r}, did {did}, expected {w.expect}"
              for w, text, did in results if did != w.expect]
    return lines


def _rate(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f} %" if whole else "-"
