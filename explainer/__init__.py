"""A static explainer generator: dated events, photos and sources into an accessible timeline site."""

__version__ = "0.1.0"
