"""What the receptionist knows and decides: the business profile (brands, team, hours), the facts it
states, the conversation state, messages, and every fixed phrase."""
