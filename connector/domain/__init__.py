"""The domain rules of recovery, as pure functions: no I/O, no framework."""
