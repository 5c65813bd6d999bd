"""Chat with a local GGUF language model through llama.cpp: streamed replies and grammar-constrained JSON."""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from models.errors import LANGUAGE_MODEL

if TYPE_CHECKING:
    from llama_cpp import Llama
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter
    from llama_cpp.llama_grammar import LlamaGrammar
    from llama_cpp.llama_types import CreateCompletionResponse, CreateCompletionStreamResponse

_LOGGER = logging.getLogger(__name__)

_GGUF_MAGIC = b"GGUF"
_MAX_THREADS = 8
# Small models loop on themselves without a little repetition penalty; 1.1 leaves normal phrasing alone.
_REPEAT_PENALTY = 1.1
# llama-cpp-python points the process's stdout/stderr at /dev/null while it loads a model (verbose=False);
# two overlapping loads could leave them pointing there for good, so loads take turns.
_LOAD_LOCK = threading.Lock()
# Longer than any one reply; reaching it means a stream was left open and never closed.
_BUSY_TIMEOUT_SECONDS = 120.0


@dataclass(frozen=True)
class ChatMessage:
    """One turn of a conversation: role is "system", "user" or "assistant"."""

    role: str
    content: str


def _threads() -> int:
    """Use the cores this process may run on (cgroup/affinity aware), capped where llama.cpp stops scaling."""
    return max(1, min(_MAX_THREADS, len(os.sched_getaffinity(0))))


class _PromptFormat:
    """Turns messages into prompt tokens with the model's own chat template (ChatML when it has none)."""

    def __init__(self, llm: Llama) -> None:
        self._llm = llm
        self.eos = self._token_text(llm.token_eos())
        template = llm.metadata.get("tokenizer.chat_template")
        self._formatters: dict[bool, Jinja2ChatFormatter] = {}
        if template:
            self._formatters = {flag: self._formatter(template, flag) for flag in (False, True)}
        # A template writes its own BOS text; plain ChatML relies on the tokenizer's setting.
        self._add_bos = not template and llm.metadata.get("tokenizer.ggml.add_bos_token") == "true"

    def _token_text(self, token: int) -> str:
        return self._llm.detokenize([token], special=True).decode("utf-8", "replace") if token >= 0 else ""

    def _formatter(self, template: str, add_generation_prompt: bool) -> Jinja2ChatFormatter:
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter  # noqa: PLC0415 - loaded with the model

        bos = self._token_text(self._llm.token_bos())
        return Jinja2ChatFormatter(template, self.eos, bos, add_generation_prompt=add_generation_prompt)

    def render(self, messages: list[ChatMessage], *, add_generation_prompt: bool) -> str:
        """Render messages as prompt text; a template that refuses a system turn gets it in the user's."""
        turns: list[Any] = [{"role": m.role, "content": m.content} for m in messages]
        formatter = self._formatters.get(add_generation_prompt)
        if formatter is None:
            text = "".join(f"<|im_start|>{t['role']}\n{t['content']}<|im_end|>\n" for t in turns)
            return text + ("<|im_start|>assistant\n" if add_generation_prompt else "")
        try:
            return formatter(messages=turns).prompt
        except ValueError:  # e.g. Gemma's template raises on a system turn
            if len(turns) < 2 or turns[0]["role"] != "system":
                raise
            merged: Any = {"role": "user", "content": f"{turns[0]['content']}\n\n{turns[1]['content']}"}
            return formatter(messages=[merged, *turns[2:]]).prompt

    def tokens(self, messages: list[ChatMessage], *, add_generation_prompt: bool = True) -> list[int]:
        """Render and tokenize; special tokens in the template text become real special tokens."""
        text = self.render(messages, add_generation_prompt=add_generation_prompt)
        return self._llm.tokenize(text.encode("utf-8"), add_bos=self._add_bos, special=True)


class ChatModel:
    """A loaded GGUF chat model; one call at a time, with the KV cache kept between calls."""

    def __init__(
        self,
        model_path: Path,
        *,
        n_ctx: int = 2048,
        n_threads: int | None = None,
        n_gpu_layers: int = 0,
        config_key: str = "",
    ) -> None:
        self.model_path = model_path
        self.config_key = config_key
        self._lock = threading.Lock()
        self.busy_timeout = _BUSY_TIMEOUT_SECONDS
        self._grammars: dict[str, LlamaGrammar] = {}
        self._check_file()
        self._llm = self._load(n_ctx, n_threads or _threads(), n_gpu_layers)
        self._format = _PromptFormat(self._llm)
        self.n_ctx = self._llm.n_ctx()

    def _check_file(self) -> None:
        path = self.model_path
        if not path.exists():
            raise LANGUAGE_MODEL.error(path, self.config_key, "file not found")
        if not path.is_file():
            raise LANGUAGE_MODEL.error(path, self.config_key, "this is a folder, not a GGUF file")
        with path.open("rb") as handle:
            if handle.read(4) != _GGUF_MAGIC:
                raise LANGUAGE_MODEL.error(path, self.config_key, "this is not a GGUF file (bad header)")

    def _load(self, n_ctx: int, n_threads: int, n_gpu_layers: int) -> Llama:
        try:
            from llama_cpp import Llama  # noqa: PLC0415 - heavy, load time only
        except ImportError as exc:
            key = self.config_key
            raise LANGUAGE_MODEL.missing_library(self.model_path, key, "llama-cpp-python") from exc
        _LOGGER.info("Loading language model %s (context %d, %d threads)", self.model_path, n_ctx, n_threads)
        try:
            with _LOAD_LOCK:
                return Llama(
                    model_path=str(self.model_path),
                    n_ctx=n_ctx,
                    n_threads=n_threads,
                    n_threads_batch=n_threads,
                    n_gpu_layers=n_gpu_layers,
                    verbose=False,
                )
        except Exception as exc:  # llama.cpp reports every unusable file as a bare ValueError
            reason = f"the model is unusable ({exc})"
            raise LANGUAGE_MODEL.error(self.model_path, self.config_key, reason) from exc

    @contextmanager
    def _turn(self) -> Iterator[None]:
        """Hold the model for one call; a stream holds it until exhausted or closed."""
        # A plain lock, not an owner check: a stream may be advanced from a different worker thread each step.
        if not self._lock.acquire(timeout=self.busy_timeout):
            raise TimeoutError(
                f"the language model stayed busy for {self.busy_timeout:.0f} s; is a reply stream left open?"
            )
        try:
            yield
        finally:
            self._lock.release()

    def _prompt(self, messages: list[ChatMessage], max_tokens: int) -> list[int]:
        """Tokenize the conversation, dropping the oldest turns (never the system prompt) until it fits."""
        kept = list(messages)
        tokens = self._format.tokens(kept)
        while len(tokens) + max_tokens > self.n_ctx and len(kept) > 2:
            drop = 1 if kept[0].role == "system" else 0
            del kept[drop]
            tokens = self._format.tokens(kept)
        if len(tokens) + max_tokens > self.n_ctx:
            raise ValueError(f"the conversation needs {len(tokens)} tokens; the context holds {self.n_ctx}")
        return tokens

    def warm(self, system_prompt: str) -> None:
        """Evaluate the system prompt once so every later turn starts from it already in the KV cache."""
        system = [ChatMessage("system", system_prompt)]
        try:
            tokens = self._format.tokens(system, add_generation_prompt=False)
        except ValueError:  # a template that only takes the system prompt inside a user turn
            tokens = []
        probe = self._format.tokens([*system, ChatMessage("user", "Hello")])
        if not tokens or probe[: len(tokens)] != tokens:
            _LOGGER.info("This model's chat template has no stable system prefix; skipping the warm-up")
            return
        with self._turn():
            self._llm.reset()  # type: ignore[no-untyped-call]  # llama-cpp-python leaves it unannotated
            self._llm.eval(tokens)
        _LOGGER.debug("Warmed the language model with a %d-token system prompt", len(tokens))

    def stream(
        self,
        messages: list[ChatMessage],
        *,
        max_tokens: int = 96,
        temperature: float = 0.2,
        should_stop: Callable[[], bool] | None = None,
    ) -> Generator[str, None, None]:
        """Yield the reply in pieces as they are generated; close() the generator to cancel the reply."""
        if should_stop is not None and should_stop():
            return
        tokens = self._prompt(messages, max_tokens)
        with self._turn():
            pieces = cast(
                "Generator[CreateCompletionStreamResponse, None, None]",
                self._llm.create_completion(
                    prompt=tokens,
                    max_tokens=max_tokens,
                    temperature=temperature,
                    repeat_penalty=_REPEAT_PENALTY,
                    stop=[self._format.eos] if self._format.eos else [],
                    stream=True,
                ),
            )
            try:
                for chunk in pieces:
                    text = chunk["choices"][0]["text"]
                    if text:
                        yield text
                    if should_stop is not None and should_stop():
                        return
            finally:
                # Close inside the lock so no half-run generator touches the model after the next call began.
                pieces.close()

    def complete_json(
        self,
        messages: list[ChatMessage],
        grammar_json_schema: dict[str, Any],
        max_tokens: int = 64,
    ) -> str:
        """Return the answer as JSON text that follows the schema (cut short if max_tokens runs out)."""
        grammar = self._grammar(grammar_json_schema)
        tokens = self._prompt(messages, max_tokens)
        with self._turn():
            result = cast(
                "CreateCompletionResponse",
                self._llm.create_completion(
                    prompt=tokens, max_tokens=max_tokens, temperature=0.0, grammar=grammar, stream=False
                ),
            )
        return result["choices"][0]["text"].strip()

    def _grammar(self, schema: dict[str, Any]) -> LlamaGrammar:
        from llama_cpp.llama_grammar import LlamaGrammar  # noqa: PLC0415 - loaded with the model

        key = json.dumps(schema, sort_keys=True)
        grammar = self._grammars.get(key)
        if grammar is None:
            grammar = LlamaGrammar.from_json_schema(key, verbose=False)
            self._grammars[key] = grammar
        return grammar
