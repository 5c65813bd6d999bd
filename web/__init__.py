"""The admin panel on the LAN (FastAPI). Talks to the appliance core only."""
