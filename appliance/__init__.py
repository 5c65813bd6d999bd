"""The appliance core: one call's run, the receptionist's policy, storage, config and CLI."""

__version__ = "0.1.0"
