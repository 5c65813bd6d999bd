"""The panel's routers, one per resource: pages (server-rendered) and the JSON API under /api."""
