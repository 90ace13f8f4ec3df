"""The note builder: a live, grounded progress-note draft built from the transcript."""
