"""Audio frames, resampling to 16 kHz, VAD-gated segmentation and bounded ingress."""
