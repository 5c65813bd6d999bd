"""Every fixed phrase the receptionist says, in one place: the place a brand will override them.

Phrases built from the business profile (hours, address, services) are made in `appliance.reception.facts`; the
greeting and goodbye come from the profile, with the defaults below.
"""

from __future__ import annotations

# Conversation
ANYTHING_ELSE = "Is there anything else I can help you with?"
NO_INFO = "I'm sorry, I don't have that information."
WELCOME = "You're welcome."
GO_AHEAD = "Of course. What can I help you with?"
NOT_CAUGHT = "Sorry, I didn't catch that."
DIDNT_CATCH = f"{NOT_CAUGHT} Could you say it again?"
STILL_THERE = "Are you still there?"
TIME_LIMIT = "I'm sorry, we have reached the time limit for this call."
FALLBACK = f"I'm sorry, I can't help with that right now. {ANYTHING_ELSE}"  # when the LLM fails or strays
TOLD = "Thank you for letting me know. What can I help you with?"  # ...on words that told rather than asked

# Taking a message
MESSAGE_ASK = "Please tell me your name, your phone number, and what it's about."
MESSAGE_PROMPT = f"I can take a message, and the team will call you back. {MESSAGE_ASK}"
OFFER = "Would you like to leave a message for the team?"
MESSAGE_FOR = "I can take a message for {name}."  # a message asked for one team member
THANKS = "Thank you."
THANKS_NAMED = "Thank you, {name}."
TAKEN = "I've taken your message."
URGENT = "I've marked it as urgent."
CALL_BACK = "The team will call you back."
NO_NUMBER = "The team will see it."
NAME_ASK = "May I have your name, please?"  # a message taken without the caller's name

# Reading the callback number back ({digits}: the number's digits by name, in groups)
READ_BACK = "The number I have is {digits}. Is that right?"
NUMBER_ASK = "What number should the team call you back on?"
NUMBER_AGAIN = f"Sorry about that. {NUMBER_ASK}"
RENAMED = "Sorry about that, {name}."  # the caller put their name right
NUMBER_PART = "I heard {digits}, which isn't a full phone number."  # too few digits, or no such area code
NUMBER_GIVEN_UP = "I'm sorry, I couldn't get the number right."
DIGIT_NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
PLUS = "plus"  # before a country code read back

# Putting callers through ({name}: the team member's name)
PUT_THROUGH = "One moment, I'll put you through to {name}."
WARM_HOLD = "One moment, I'll see if {name} is available."
BRIEF = "{who} is calling. They said: {said} Say yes or press 1 to take the call, or say no."
BRIEF_CALLER = "A caller"
UNAVAILABLE = "I'm sorry, {name} isn't available right now."
NOT_PUT_THROUGH = "I'm sorry, I couldn't reach {name}."
NOBODY_TO_PUT_THROUGH = "I'm sorry, I can't put calls through right now."

# Callers who tell of a problem
SORRY = "I'm sorry to hear that."
UNDERSTAND = "I understand."
HELP_NEXT = "I can take a message so the team can call you back about it. Would you like that?"

# Closed, and callers a brand does not take
CLOSED_GREETING = "Thank you for calling {name}. We're closed right now."
NOT_TAKEN = "I'm sorry, we can't take your call."

# Returning callers ({name}: the name they gave before, `appliance.reception.returning`)
WELCOME_BACK = "Welcome back, {name}."

# When a model fails: only phrases synthesized before the first call can still be said
KEYPAD_MENU = "I'm sorry, I'm having technical trouble. Press 1 to leave a message, or press 0 for the front desk."
ONE_MOMENT = "One moment, please."
UNTRANSCRIBED = "A spoken message that could not be transcribed: please call back."  # a message's reason, not said

# Profile defaults ({name}: the business's name)
GREETING = "Thank you for calling {name}. How can I help you today?"
GOODBYE = "Thank you for calling {name}. Goodbye!"
CONSENT = "This call may be recorded."

FIXED = (ANYTHING_ELSE, NO_INFO, WELCOME, GO_AHEAD, DIDNT_CATCH, STILL_THERE, TIME_LIMIT, FALLBACK, MESSAGE_PROMPT,
         OFFER, THANKS, TAKEN, URGENT, CALL_BACK, NO_NUMBER, NOBODY_TO_PUT_THROUGH, SORRY, UNDERSTAND,
         HELP_NEXT, NUMBER_AGAIN, KEYPAD_MENU, ONE_MOMENT, TOLD)  # said often: synthesized before the first call
