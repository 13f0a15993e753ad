"""`kiosk bench`: voice-to-voice latency per layer, streaming pipeline vs a naive sequential one."""
