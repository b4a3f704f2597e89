"""The malformed-registry corpus: hand-written cases (*.yml here) and the code that applies them."""
