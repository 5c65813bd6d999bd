"""The panel's JSON API under /api: the same data as the pages, one router per resource."""
