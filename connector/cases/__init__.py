"""The use-case layer: what happens to a case, from the answer to the outcome."""
