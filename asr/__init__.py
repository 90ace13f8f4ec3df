"""Speech recognition: the recognizer, the inference scheduler, offline transcription."""
