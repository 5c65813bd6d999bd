"""The panel's server-rendered pages, one router per resource."""
