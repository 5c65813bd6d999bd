"""The encrypted call store: schema and migrations, keys and crypto, calls, recordings, backups,
retention and data rights. Everything that touches the database file lives here."""
