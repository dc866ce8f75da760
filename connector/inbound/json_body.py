"""Parse an untrusted request body as JSON without ever raising anything but BodyError.

``json.loads`` alone lets through more than ``JSONDecodeError``: a number with
more than 4,300 digits raises a plain ``ValueError`` (CPython's int limit), a
deeply nested array ``RecursionError``, and non-UTF bytes ``UnicodeDecodeError``
— each a 5xx if uncaught. Found by the hypothesis fuzz tests (tests/fuzz).
"""
import json


class BodyError(ValueError):
    """The body is not JSON; ``str()`` says why, without echoing the body."""


def parse_json(raw: bytes):
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise BodyError(exc.msg) from None
    except UnicodeDecodeError:
        raise BodyError("bad encoding") from None
    except RecursionError:
        raise BodyError("nested too deeply") from None
    except ValueError:
        raise BodyError("number too large") from None
