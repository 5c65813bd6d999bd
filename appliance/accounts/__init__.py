"""The panel's accounts: password rules and hashing, the second factor, sign-in and session rules, and the
`Accounts` object the panel and the console use (its tables live in appliance.storage)."""
