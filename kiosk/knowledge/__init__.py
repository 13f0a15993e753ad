"""What the avatar knows: curated answers matched by meaning, facts retrieved for the model, and the
guards that keep its answers true to the persona file."""

from kiosk.knowledge.answerer import GroundedPrompts, GuardedLLM

__all__ = ["GroundedPrompts", "GuardedLLM"]
