"""Preflight's Qt desktop interface.  Widgets render core results; they hold no statistics."""
