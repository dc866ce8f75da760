"""``python -m connector`` is the ``recovery`` command."""
from connector.cli import main

main()
