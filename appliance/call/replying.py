"""Making one reply: plan it from the profile, stream the LLM when needed, speak sentence by sentence."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass, field

from appliance.call.engines import Engines
from appliance.call.sentences import SentenceSplitter, split_sentences
from appliance.call.speech import Mouth
from appliance.errors import ErrorCode, StageError
from appliance.reception.phrasebook import FALLBACK, TOLD
from appliance.reception.plan import ReplyPlan
from appliance.reception.plans import sympathy_fits
from appliance.reception.policy import asks, clean_llm_reply, is_grounded, system_prompt
from appliance.reception.profile import BusinessProfile
from models import ChatMessage, ModelError

_LOGGER = logging.getLogger(__name__)
MAX_LLM_SENTENCES = 3  # spoken pieces, a first clause counting as one (the LLM writes 56 tokens at most)
FIRST_CLAUSE = 30  # characters: a long first sentence is spoken from its first comma on


@dataclass
class Reply:
    """What was said in one reply, how long its stages took, and whether the LLM strayed from the profile."""

    sentences: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    ungrounded: bool = False

    @property
    def text(self) -> str:
        """The reply as one string."""
        return " ".join(self.sentences)


@dataclass
class Replier:
    """Turns a plan into speech on one call."""

    engines: Engines
    mouth: Mouth
    profile: BusinessProfile
    system: str
    history_messages: int = 0
    history: list[ChatMessage] = field(default_factory=list)

    async def speak(self, plan: ReplyPlan, caller_text: str, reply: Reply) -> None:
        """Say the reply for a plan; fill reply as sentences go out (so a cut leaves what was said)."""
        started = time.monotonic()
        sentences = self._llm_sentences(caller_text, reply) if plan.use_llm else _fixed(plan.text)
        async with aclosing(sentences) as stream:
            async for sentence in stream:
                before = time.monotonic()
                await self.mouth.say(sentence)
                if not reply.sentences:
                    reply.timings["tts_first_ms"] = _ms(before)
                    reply.timings["reply_first_audio_ms"] = _ms(started)
                reply.sentences.append(sentence)
        self._remember(caller_text, reply.text)

    async def _llm_sentences(self, caller_text: str, reply: Reply) -> AsyncGenerator[str, None]:
        # History tokens are re-read on every turn (only the system prompt stays cached), so keep few.
        recent = self.history[len(self.history) - self.history_messages:] if self.history_messages else []
        messages = [ChatMessage("system", self.system), *recent, ChatMessage("user", caller_text)]
        splitter, count, started = SentenceSplitter(first_clause=FIRST_CLAUSE), 0, time.monotonic()
        try:
            async with aclosing(self.engines.stream_chat(messages)) as pieces:
                async for piece in pieces:
                    reply.timings.setdefault("llm_first_token_ms", _ms(started))
                    for sentence in self._usable(splitter.push(piece), caller_text, reply):
                        count += 1
                        yield sentence
                    if count >= MAX_LLM_SENTENCES or reply.ungrounded:
                        break
        except (ModelError, RuntimeError, ValueError, OSError) as exc:  # the run puts the call on the keypad menu
            raise StageError(f"the language model failed: {exc}", code=ErrorCode.LLM) from exc
        if not reply.ungrounded and count < MAX_LLM_SENTENCES:
            for sentence in self._usable(splitter.flush(), caller_text, reply):
                count += 1
                yield sentence
        if count == 0:  # nothing usable written (no fault): a fixed phrase, each sentence in the phrase cache
            for sentence in split_sentences(FALLBACK if asks(caller_text) else TOLD):
                yield sentence

    def _usable(self, sentences: list[str], caller_text: str, reply: Reply) -> list[str]:
        """Clean sentences up to the first one not grounded in the profile (which ends the LLM's turn)."""
        usable = []
        for sentence in (clean_llm_reply(s) for s in sentences):
            if reply.ungrounded or not sentence:
                continue
            if not (is_grounded(sentence, self.profile, caller_text) and sympathy_fits(sentence, caller_text)):
                # its length only: the sentence may repeat the caller's words, and the journal keeps 90 days
                _LOGGER.info("dropped an ungrounded LLM sentence (%d characters)", len(sentence))
                reply.ungrounded = True
                continue
            usable.append(sentence)
        return usable

    def _remember(self, caller_text: str, reply_text: str) -> None:
        self.history += [ChatMessage("user", caller_text), ChatMessage("assistant", reply_text)]


async def _fixed(text: str) -> AsyncGenerator[str, None]:
    for sentence in split_sentences(text):
        yield sentence


def _ms(since: float) -> float:
    return round((time.monotonic() - since) * 1000, 1)


__all__ = ["FALLBACK", "Replier", "Reply", "system_prompt"]
