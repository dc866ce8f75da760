"""The runtime of the app serving this request: one typed accessor for every blueprint."""
from typing import cast

from flask import current_app

from connector.runtime import Runtime

EXTENSION = "recovery"  # app.extensions[EXTENSION] is the Runtime create_app built or was given


def runtime() -> Runtime:
    return cast(Runtime, current_app.extensions[EXTENSION])
