"""The kiosk engine: no Qt here, and nothing heavy at import time."""
