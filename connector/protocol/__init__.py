"""The life of a case after it opens: stages completed, follow-ups, privacy erasure."""
