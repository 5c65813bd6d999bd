"""Choosing among Whisper's best guesses with the business's words (models.hypotheses): pure rules."""

from __future__ import annotations

import pytest

from models.hypotheses import TERM_WEIGHT, best_hypothesis, business_words, word_set

TERMS = business_words(["Maple Street Dental", "Ann Lee", "Billing", "invoice", "Teeth whitening"])


def test_business_words_are_lower_case_and_leave_out_common_words() -> None:
    assert word_set("Can I talk to someone in Billing?") == {"talk", "someone", "billing"}
    assert {"maple", "street", "dental", "ann", "lee", "billing", "invoice", "teeth", "whitening"} == TERMS


def test_the_first_guess_is_kept_when_none_holds_a_business_word() -> None:
    assert best_hypothesis([("Why do you keep this permit?", -0.84), ("Why did your keep this permit?", -0.87)],
                           TERMS) == 0


def test_a_nearly_as_likely_guess_with_a_business_word_wins() -> None:
    guesses = [("Can I talk to someone in the evening?", -0.49), ("Can I talk to someone in billing?", -0.57)]
    assert best_hypothesis(guesses, TERMS) == 1


def test_a_clearly_more_likely_guess_still_wins() -> None:
    guesses = [("What are your opening hours?", -0.20), ("What are your billing hours?", -0.20 - 2 * TERM_WEIGHT)]
    assert best_hypothesis(guesses, TERMS) == 0


def test_a_word_counts_once_however_often_it_is_written() -> None:
    guesses = [("About my invoice.", -0.50), ("Invoice, invoice, invoice.", -0.50 - 1.5 * TERM_WEIGHT)]
    assert best_hypothesis(guesses, TERMS) == 0


def test_without_business_words_the_order_decides_a_tie() -> None:
    assert best_hypothesis([("Yes.", -0.3), ("Yes!", -0.3)], frozenset()) == 0


def test_no_guess_is_an_error() -> None:
    with pytest.raises(ValueError, match="no hypotheses"):
        best_hypothesis([], TERMS)


def test_a_guess_that_is_another_said_over_again_is_the_loop() -> None:
    guesses = [("Yes. Yes.", -0.20), ("Yes.", -0.40), ("Yes. Yes. Yes.", -0.30)]
    assert best_hypothesis(guesses, TERMS) == 1
    assert best_hypothesis([("Hello? Hello?", -0.41), ("Hello? Hello.", -0.98), ("Hello?", -1.14)], TERMS) == 2


def test_words_said_twice_with_no_single_guess_are_kept() -> None:
    assert best_hypothesis([("Yes. Yes.", -0.20), ("Yes, yes, okay.", -0.40)], TERMS) == 0
