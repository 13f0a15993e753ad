"""Offline installation: building a bundle (``bundle``), installing it on a booth PC (``booth``),
autostart (``autostart``) and the helpers they share (``common``).

Everything the booth side runs (``common``, ``autostart``, ``booth``) uses the standard library only:
it runs with the system's python3 from the bundle, before the app's virtual environment exists.
"""
