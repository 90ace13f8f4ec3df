"""The FastAPI service: sessions, consent, audio and event WebSockets, persistence."""
