"""Sentence splitting of streamed text."""

from appliance.call.sentences import SentenceSplitter, split_sentences


def test_streamed_pieces_give_sentences_as_soon_as_complete() -> None:
    splitter = SentenceSplitter()
    assert splitter.push("We're open from 9 a") == []
    assert splitter.push(".m. to 5 p.m. on weekdays. We are") == ["We're open from 9 a.m. to 5 p.m. on weekdays."]
    assert splitter.push(" closed Sundays! Anything") == ["We are closed Sundays!"]
    assert splitter.flush() == ["Anything"]


def test_abbreviations_and_decimals_do_not_split() -> None:
    text = "Dr. Smith sees patients at 123 Maple St. in room 4. A cleaning costs $95.50 today."
    assert split_sentences(text) == ["Dr. Smith sees patients at 123 Maple St. in room 4.",
                                     "A cleaning costs $95.50 today."]


def test_questions_and_quotes() -> None:
    assert split_sentences('He said "hi." Can I help? Yes.') == ['He said "hi."', "Can I help?", "Yes."]


def test_a_very_long_clause_is_cut_at_a_comma() -> None:
    text = "word " * 30 + ", more words " * 10
    parts = split_sentences(text)
    assert len(parts) >= 2
    assert all(len(p) <= 161 for p in parts)


def test_empty_text() -> None:
    assert split_sentences("   ") == []


def test_a_long_first_sentence_is_cut_at_its_first_comma_only() -> None:
    splitter = SentenceSplitter(first_clause=20)
    assert splitter.push("Yes, we can help") == []
    assert splitter.push(" with that today, and we are open") == ["Yes, we can help with that today,"]
    assert splitter.push(" late, on Fridays. Thanks") == ["and we are open late, on Fridays."]
    assert splitter.flush() == ["Thanks"]


def test_a_short_complete_first_sentence_is_not_cut() -> None:
    splitter = SentenceSplitter(first_clause=10)
    assert splitter.push("Sure, we open at nine. ") == ["Sure, we open at nine."]


def test_a_long_first_sentence_without_a_comma_is_cut_before_a_phrase() -> None:
    splitter = SentenceSplitter(first_clause=30)
    assert splitter.push("I'm so glad you're interested in") == []  # not yet long enough to tell
    assert splitter.push(" having a dental") == ["I'm so glad you're interested"]
    assert splitter.push(" appointment with us. Sure") == ["in having a dental appointment with us."]
    assert splitter.flush() == ["Sure"]


def test_no_phrase_cut_in_a_sentence_that_ends_in_time() -> None:
    splitter = SentenceSplitter(first_clause=30)
    assert splitter.push("We would love to see you in the practice. ") == ["We would love to see you in the practice."]
