"""Sentence splitting of streamed text."""

from appliance.sentences import SentenceSplitter, split_sentences


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
