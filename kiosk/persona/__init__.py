"""Persona files: who the avatar is, what it knows, and which engines it runs on."""

from kiosk.persona.load import Loaded, PersonaError, default_persona, load_persona, read_persona_file
from kiosk.persona.schema import Persona

__all__ = ["Loaded", "Persona", "PersonaError", "default_persona", "load_persona", "read_persona_file"]
