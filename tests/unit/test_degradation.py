"""Degradation as pure rules: when speech recognition is of no more use, what the keypad menu says and takes, and
the silence watch that puts an overloaded call on the menu."""

from __future__ import annotations

from appliance.call.events import Outcome
from appliance.call.watch import SilenceWatch
from appliance.reception.conversation import Conversation, Rules
from appliance.reception.degraded import hearing_lost
from appliance.reception.phrasebook import DIDNT_CATCH, KEYPAD_MENU, MESSAGE_ASK, TAKEN, UNTRANSCRIBED
from appliance.reception.profile import BusinessProfile


def talk(profile: BusinessProfile) -> Conversation:
    return Conversation(Rules(profile, 600.0, 10.0), "+12025550123", answered=100.0)


def test_hearing_is_lost_after_two_failures_or_three_empty_turns_in_a_row() -> None:
    assert not hearing_lost(unheard=2, stt_failures=1)
    assert hearing_lost(unheard=2, stt_failures=2)
    assert hearing_lost(unheard=3, stt_failures=0)


def test_speech_recognition_failing_twice_puts_the_call_on_the_menu(profile: BusinessProfile) -> None:
    c = talk(profile)
    c.stt_failed()
    assert c.plan("").text == DIDNT_CATCH
    c.stt_failed()
    assert c.plan("").text == KEYPAD_MENU
    assert c.degraded and c.outcome is Outcome.FALLBACK


def test_three_turns_heard_as_nothing_put_the_call_on_the_menu(profile: BusinessProfile) -> None:
    c = talk(profile)
    assert c.plan("").text == DIDNT_CATCH
    assert c.plan("...").text == DIDNT_CATCH
    assert c.plan("").text == KEYPAD_MENU


def test_words_heard_start_the_count_again(profile: BusinessProfile) -> None:
    c = talk(profile)
    c.plan("")
    c.plan("")
    c.plan("What are your opening hours?")
    c.plan("")
    assert not c.degraded


def test_on_the_menu_a_message_is_taken_even_when_it_could_not_be_transcribed(profile: BusinessProfile) -> None:
    c = talk(profile)
    c.fallback()
    menu = c.pressed("1")
    assert menu is not None and menu.text == MESSAGE_ASK
    plan, taking = c.degraded_turn()
    assert taking and plan.text.startswith(TAKEN)
    message = c.degraded_message("", at=5.0)
    assert (message.callback_number, message.reason) == ("+12025550123", UNTRANSCRIBED)
    plan, taking = c.degraded_turn()  # anything said after it: the menu again
    assert not taking and plan.text == KEYPAD_MENU


def test_a_message_on_the_menu_keeps_the_words_when_they_were_heard(profile: BusinessProfile) -> None:
    c = talk(profile)
    c.fallback()
    c.pressed("1")
    c.degraded_turn()
    message = c.degraded_message("This is Bo, call me on 555 201 7788.", at=5.0)
    assert (message.name, message.callback_number) == ("Bo", "+15552017788")


def test_the_silence_watch_fires_once_a_reply_is_owed_in_silence_past_the_deadline() -> None:
    watch = SilenceWatch(2.0)
    assert not watch.overdue(10.0, owed=True, playing=False)  # the caller's turn just ended
    assert not watch.overdue(11.9, owed=True, playing=False)
    assert not watch.overdue(11.93, owed=True, playing=False)
    assert watch.overdue(11.95, owed=True, playing=False)  # three frames early: the menu first frame is out by 12.0
    assert not watch.overdue(12.1, owed=True, playing=False)  # it starts over


def test_audio_or_no_reply_owed_is_no_silence_to_watch() -> None:
    watch = SilenceWatch(2.0)
    watch.overdue(10.0, owed=True, playing=False)
    assert not watch.overdue(11.0, owed=True, playing=True)  # the first sentence plays
    assert not watch.overdue(12.5, owed=True, playing=False)  # the gap to the next one starts now
    assert not watch.overdue(20.0, owed=False, playing=False)  # nothing owed: the caller's turn


def test_a_transfer_from_the_menu_that_fails_stays_a_fallback_in_fixed_phrases(profile: BusinessProfile) -> None:
    c = talk(profile)
    c.fallback()
    plan = c.pressed("0")  # the front desk, from the keypad menu
    assert plan is not None and plan.transfer_to is not None
    c.put_through(plan.transfer_to)
    assert c.transfer_failed().text == KEYPAD_MENU  # no name in it: only phrases made before the first call
    assert c.outcome is Outcome.FALLBACK
