"""The console above the appliance and its panel: the `receptionist` command."""
