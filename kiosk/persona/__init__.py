"""Persona files: who the avatar is, what it knows, and which engines it runs on."""

from kiosk.persona.load import PersonaError, default_persona, load_persona
from kiosk.persona.schema import Persona

__all__ = ["Persona", "PersonaError", "default_persona", "load_persona"]
