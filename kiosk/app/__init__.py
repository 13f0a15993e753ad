"""The kiosk application: Qt window, live microphone and speaker, the avatar and captions."""
