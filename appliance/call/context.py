"""What every call run shares, and how it is made ready before the first call: the profile, the engines, the
phrase cache (fixed phrases synthesized ahead), the words that prime Whisper, and the timing settings."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from appliance.call.audio import Pcm
from appliance.call.engines import Engines
from appliance.call.sentences import split_sentences
from appliance.call.speech import Mouth, PhraseCache, Playout
from appliance.call.turns import TurnConfig
from appliance.clock import Clock
from appliance.config import CallSettings, Settings
from appliance.errors import ApplianceError, ErrorCode, StageError
from appliance.phone import DEFAULT_REGION
from appliance.reception import facts, phrasebook
from appliance.reception.policy import system_prompt
from appliance.reception.profile import BusinessProfile, Profile
from models import Synthesizer
from models.hypotheses import business_words


@dataclass
class RunContext:
    """Shared, read-only inputs of every call run."""

    profile: BusinessProfile
    engines: Engines
    phrases: PhraseCache
    call: CallSettings
    turn_config: TurnConfig
    system_prompt: str
    vocabulary: str
    history_messages: int = 0
    llm_answers_questions: bool = False
    default_region: str = DEFAULT_REGION  # where callers' national numbers are (a message's callback number)
    clock: Clock = field(default_factory=Clock)  # the wall clock (hours, who can be reached)
    terms: frozenset[str] = frozenset()  # the business's words, which the speech-to-text's guesses are weighed with

    async def hear(self, pcm: Pcm) -> str:
        """The words of one utterance of the caller, as this brand's speech-to-text hears them."""
        return await self.engines.transcribe(pcm, self.vocabulary, self.terms)

    def mouth_for(self, playout: Playout) -> Mouth:
        """A mouth speaking on one call's playout."""
        return Mouth(playout, self.phrases)


def fixed_phrases(profile: BusinessProfile) -> list[str]:
    """Sentences the receptionist says often: worth synthesizing before the first call."""
    texts = [profile.greeting_text, profile.goodbye_text, facts.hours_sentence(profile),
             facts.address_sentence(profile), facts.services_sentence(profile), *phrasebook.FIXED]
    texts += [faq.answer for faq in profile.faqs]
    return [s for text in texts if text for s in split_sentences(text)]


# What callers of any business often say: primes Whisper, which otherwise hears "wack on your opening hours".
_COMMON_ASKS = ("What are your opening hours? I would like to book an appointment. Please take a message. "
                "Can I speak with someone? It hurts, it has been hurting.")
VOCABULARY_CHARS = 600  # Whisper reads at most 224 prompt tokens; a short prompt also decodes faster


def vocabulary(profile: BusinessProfile) -> str:
    """What Whisper should expect to hear: the business, service and team names, roles and departments, the needs
    of the routing rules and their words, common asks, the FAQ questions (as many as fit in VOCABULARY_CHARS)."""
    names = list(dict.fromkeys(_asked_about(profile)))
    text = f"{', '.join(names)}. {_COMMON_ASKS}"
    for faq in profile.faqs:
        if len(text) + 1 + len(faq.question) <= VOCABULARY_CHARS:
            text += f" {faq.question}"
    return text


def _asked_about(profile: BusinessProfile) -> list[str]:
    """What callers ring this business about: its name, services, team names, roles and departments, and the needs
    of its routing rules with their words."""
    team = [part for m in profile.team for part in (m.name, m.role, m.department) if part]
    needs = [need for route in profile.routes for need in (route.need, *route.words)]
    return [profile.name, *(s.name for s in profile.services), *team, *needs]


def business_terms(profile: BusinessProfile) -> frozenset[str]:
    """The words of what callers ring this business about, which weigh the speech-to-text's best guesses."""
    return business_words(_asked_about(profile))


@dataclass(frozen=True)
class Reception:
    """Every brand's run context, and which brand answers a called number or SIP user."""

    profile: Profile
    contexts: dict[str, RunContext]
    region: str = DEFAULT_REGION  # where a called number in national form is

    def for_called(self, called: str | Sequence[str]) -> RunContext:
        """The run context of the brand answering calls to this number (the default brand otherwise; see
        `Profile.brand_for`)."""
        return self.contexts[self.profile.brand_for(called, self.region).id]


async def build_reception(settings: Settings, engines: Engines, profile: Profile,
                          voice: Callable[[Path, Path | None], Synthesizer], clock: Clock) -> Reception:
    """A run context per brand; a brand with its own voice gets it (`voice` loads one), the rest share the
    configured one."""
    contexts = {}
    for brand in profile.brands:
        spoken = engines
        if brand.voice is not None:
            spoken = engines.with_voice(await asyncio.to_thread(voice, brand.voice, brand.voice_config))
        contexts[brand.id] = await build_context(settings, spoken, brand, clock)
    return Reception(profile, contexts, settings.business.default_region)


async def build_context(settings: Settings, engines: Engines, profile: BusinessProfile,
                        clock: Clock | None = None) -> RunContext:
    """Warm the LLM's system prompt and pre-synthesize the fixed phrases."""
    prompt = system_prompt(profile)
    await asyncio.to_thread(engines.warm, prompt)  # off the loop: a reload runs beside live calls
    phrases = PhraseCache(engines)
    try:
        await phrases.preload(fixed_phrases(profile))
    except StageError as exc:
        raise ApplianceError(
            f"cannot start: the phrases every call needs (the greeting, the keypad menu spoken when a model fails) "
            f"could not be made for the brand {profile.id!r}: {exc}. Check that [models] voice (or the brand's "
            "`voice`) names a working Piper voice with its .onnx.json beside it, or leave it empty for the embedded "
            "default, then start again", code=ErrorCode.TTS) from exc
    turn = settings.turns.config()
    return RunContext(profile, engines, phrases, settings.call, turn, prompt, vocabulary(profile),
                      settings.models.llm_history_messages, settings.models.llm_answers_questions,
                      settings.business.default_region, clock or Clock(), business_terms(profile))
