"""Turn detection with plain numbers: levels in, signals out."""

from appliance.call.turns import TurnConfig, TurnDetector, TurnSignal

SPEECH, QUIET = -20.0, -80.0


def feed(detector: TurnDetector, levels: list[float]) -> list[TurnSignal]:
    return [s for s in (detector.push(level) for level in levels) if s is not TurnSignal.NONE]


def test_a_sentence_then_the_silence_window_ends_the_turn() -> None:
    detector = TurnDetector(TurnConfig(silence_window_ms=500, early_pause_ms=200, barge_in_ms=400))
    signals = feed(detector, [QUIET] * 10 + [SPEECH] * 50 + [QUIET] * 25)
    assert signals == [TurnSignal.SPEECH_STARTED, TurnSignal.BARGE_IN, TurnSignal.EARLY_PAUSE,
                       TurnSignal.TURN_ENDED]


def test_turn_ends_exactly_after_the_window() -> None:
    detector = TurnDetector(TurnConfig(silence_window_ms=500))
    feed(detector, [SPEECH] * 20)
    assert feed(detector, [QUIET] * 24) == [TurnSignal.EARLY_PAUSE]
    assert feed(detector, [QUIET]) == [TurnSignal.TURN_ENDED]


def test_a_pause_shorter_than_the_window_keeps_the_turn_open() -> None:
    detector = TurnDetector(TurnConfig(silence_window_ms=500, early_pause_ms=200, barge_in_ms=1000))
    signals = feed(detector, [SPEECH] * 20 + [QUIET] * 15 + [SPEECH] * 10)
    assert TurnSignal.TURN_ENDED not in signals
    assert signals[-1] is TurnSignal.SPEECH_RESUMED
    assert detector.in_turn


def test_a_click_is_not_a_turn() -> None:
    detector = TurnDetector(TurnConfig(min_speech_ms=60, min_utterance_ms=200))
    assert feed(detector, [SPEECH] * 2 + [QUIET] * 40) == []
    signals = feed(detector, [SPEECH] * 5 + [QUIET] * 40)
    assert signals == [TurnSignal.SPEECH_STARTED, TurnSignal.EARLY_PAUSE, TurnSignal.NOISE_DISCARDED]


def test_a_short_backchannel_does_not_barge_in() -> None:
    detector = TurnDetector(TurnConfig(barge_in_ms=400))
    assert TurnSignal.BARGE_IN not in feed(detector, [SPEECH] * 15 + [QUIET] * 30)
    assert TurnSignal.BARGE_IN in feed(detector, [SPEECH] * 25)


def test_steady_background_noise_raises_the_threshold() -> None:
    detector = TurnDetector(TurnConfig(floor_db=-60.0, margin_db=12.0))
    feed(detector, [-45.0] * 400)  # a noisy line, not speech after adaptation
    assert not detector.is_voiced(-45.0)
    assert detector.is_voiced(-20.0)
