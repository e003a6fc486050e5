"""Development and demo tools for the till. Never part of a real terminal installation."""
