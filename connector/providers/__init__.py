"""One folder per vendor behind a common base (see ``base.py``)."""
