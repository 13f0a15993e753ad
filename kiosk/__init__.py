"""Offline talking avatar for kiosks."""

__version__ = "0.1.0"
