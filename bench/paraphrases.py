"""The paraphrase measure (tests/scenarios/paraphrases.toml): how often the receptionist does the right thing
with each of many wordings of one request, on the typed words and on the words as the appliance hears them
when an espeak-ng caller says them over a phone line (bench/line.py: G.711 or G.722, the turn detector and the
embedded speech-to-text with the brand's vocabulary).

    python -m bench.paraphrases                  # typed, then heard over PCMU
    python -m bench.paraphrases --codec G722     # heard over G.722
    python -m bench.paraphrases --typed          # the typed words only (seconds)
"""

from __future__ import annotations

import argparse
from pathlib import Path

from appliance.call.context import business_terms, vocabulary
from appliance.call.turns import TurnConfig
from appliance.config import ModelSettings
from bench.hearing import hear
from bench.line import CODECS
from models import shared_registry
from tests.e2e.support import SCENARIO_VOICE
from tests.scenarios.fast import FastRunner
from tests.scenarios.paraphrases import Wording, load_wordings, measure, report


def main(argv: list[str] | None = None) -> int:
    """Print the typed rate, then the heard one with every miss."""
    parser = argparse.ArgumentParser(prog="python -m bench.paraphrases", description=__doc__.splitlines()[0])
    parser.add_argument("--typed", action="store_true", help="measure the typed words only")
    parser.add_argument("--codec", choices=CODECS, default="PCMU", help="the line's codec (PCMU)")
    parser.add_argument("--voice", default=SCENARIO_VOICE, help=f"the callers' espeak-ng voice ({SCENARIO_VOICE})")
    parser.add_argument("--whisper", type=Path, default=None, help="another speech-to-text model's folder")
    parser.add_argument("--beam", type=int, default=ModelSettings().whisper_beam,
                        help="the speech-to-text's beam ([models] whisper_beam; 0: automatic, 1: greedy)")
    args = parser.parse_args(argv)
    profile, wordings = FastRunner.load_profile(), load_wordings()
    print("\n".join(report(measure(profile, wordings), "typed")), flush=True)
    if args.typed:
        return 0
    transcriber = shared_registry().transcriber(args.whisper, beam_size=args.beam)

    def heard(wording: Wording) -> str:
        brand = profile.brand_for(wording.brand)
        words = (vocabulary(brand), business_terms(brand))
        turns, _ = hear(transcriber, wording.said, words, TurnConfig(), False, voice=args.voice, codec=args.codec)
        return " ".join(turns)

    how = f"heard over {args.codec}, espeak-ng {args.voice}, the embedded speech-to-text"
    print("\n".join(report(measure(profile, wordings, heard), how)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
