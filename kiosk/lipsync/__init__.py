"""Lip-sync: from phoneme timings (or from audio alone) to viseme weights over time."""
