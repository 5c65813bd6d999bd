"""Which model tier a box can carry, from what `receptionist selftest` measured on it: pure numbers in, a verdict
out.

The rule, printed with every verdict (`RULE`): a tier fits when one call's voice-to-voice latency stays within
p50 <= 700 ms and p95 <= 1200 ms (the upper ends of the targets; p50 <= 500 ms and p95 <= 900 ms meet them fully).
The configured tier is measured. Another tier is estimated from the measurement: each stage's measured time is
scaled by the ratio of the models' sizes (millions of parameters; speech recognition and the LLM's first token
cost about in proportion to them on a CPU), and the difference is added to the measured p50 and p95. A tier that
needs a GPU fits only on a box with one, and is then judged by measuring it, not by estimating from CPU times.
"""

from __future__ import annotations

from dataclasses import dataclass

from appliance.tiers import Kind, Tier

TARGET_P50_MS, LIMIT_P50_MS = 500.0, 700.0
TARGET_P95_MS, LIMIT_P95_MS = 900.0, 1200.0
RULE = (f"A tier fits when one call's voice-to-voice latency is p50 <= {LIMIT_P50_MS:.0f} ms and p95 <= "
        f"{LIMIT_P95_MS:.0f} ms (the target is p50 <= {TARGET_P50_MS:.0f} ms, p95 <= {TARGET_P95_MS:.0f} ms). The "
        "configured tier is measured; another is estimated by scaling each stage's measured time by the ratio of "
        "the models' sizes and adding the difference to the measured p50 and p95. A GPU tier needs a GPU and is "
        "judged only by measuring it there.")


@dataclass(frozen=True)
class Measured:
    """What the self-test measured with the configured models (milliseconds; medians for the stages)."""

    tier: str  # the configured tier's name, or "custom"
    stt_ms: float
    llm_first_token_ms: float
    tts_ms: float
    p50_ms: float
    p95_ms: float


@dataclass(frozen=True)
class Fit:
    """One tier's judgement: its latency (measured or estimated; None when it cannot be judged) and whether it
    fits."""

    tier: str
    how: str  # "measured", "estimated" or "not judged"
    p50_ms: float | None
    p95_ms: float | None
    fits: bool
    meets_target: bool
    note: str


def _stages(measured: Measured) -> dict[Kind, float]:
    return {Kind.STT: measured.stt_ms, Kind.LLM: measured.llm_first_token_ms, Kind.VOICE: measured.tts_ms}


def estimate(measured: Measured, measured_cost: dict[Kind, float], cost: dict[Kind, float]) -> tuple[float, float]:
    """(p50, p95) of another tier: each stage scaled by the size ratio, the difference added to the measured."""
    extra = sum(ms * (cost[kind] / measured_cost[kind] - 1.0) for kind, ms in _stages(measured).items())
    return measured.p50_ms + extra, measured.p95_ms + extra


def _judged(tier: str, how: str, p50: float, p95: float) -> Fit:
    fits = p50 <= LIMIT_P50_MS and p95 <= LIMIT_P95_MS
    meets = p50 <= TARGET_P50_MS and p95 <= TARGET_P95_MS
    note = "meets the target" if meets else ("fits, above the target" if fits else "too slow")
    return Fit(tier, how, p50, p95, fits, meets, note)


def judge(measured: Measured, tiers: dict[str, Tier], has_gpu: bool) -> list[Fit]:
    """Every tier's fit on this box, in the table's order."""
    base = tiers.get(measured.tier)
    fits = []
    for tier in tiers.values():
        if tier.name == measured.tier:
            fits.append(_judged(tier.name, "measured", measured.p50_ms, measured.p95_ms))
        elif tier.needs_gpu and not has_gpu:
            fits.append(Fit(tier.name, "not judged", None, None, False, False, "needs a CUDA GPU; none found"))
        elif tier.needs_gpu:
            fits.append(Fit(tier.name, "not judged", None, None, False, False,
                            "CPU times say nothing of a GPU: fetch it and run the self-test again"))
        elif base is None:
            fits.append(Fit(tier.name, "not judged", None, None, False, False,
                            "custom models are configured: their sizes are unknown, so nothing is estimated"))
        else:
            fits.append(_judged(tier.name, "estimated", *estimate(measured, base.cost, tier.cost)))
    return fits


def verdict(measured: Measured, fits: list[Fit]) -> str:
    """One sentence: the biggest tier that fits, or why none does."""
    fitting = [fit.tier for fit in fits if fit.fits]
    if fitting:
        best = fitting[-1]
        extra = "" if best == measured.tier else f" (run 'receptionist models fetch {best}', then the self-test again)"
        return f"this box can carry the {best} tier{extra}"
    mine = next((fit for fit in fits if fit.tier == measured.tier), None)
    if mine is None:  # custom models
        mine = _judged(measured.tier, "measured", measured.p50_ms, measured.p95_ms)
        if mine.fits:
            return "this box carries the configured (custom) models within the targets"
    return (f"this box carries no tier within the targets: the configured models answer in p50 "
            f"{measured.p50_ms:.0f} ms, p95 {measured.p95_ms:.0f} ms; lighten its other work, or use a faster box")
