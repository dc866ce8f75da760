"""1,000 generated requests per survey endpoint: never a 5xx, nothing stored on a rejection."""
import itertools
import os

import pytest

from tests.conftest import make_config, make_runtime
from tests.fuzz.harness import Endpoint, run, shaped_like
from tests.surveys.vendors import SECRETS, VENDORS

EXAMPLES = int(os.environ.get("RECOVERY_FUZZ_EXAMPLES", "1000"))


@pytest.fixture
def fuzz_app(sqlite_url, fake_zendesk, fake_hubspot):
    from connector.web.app import create_app

    rt = make_runtime(make_config(sqlite_url, **SECRETS), zendesk=fake_zendesk, hubspot=fake_hubspot)
    yield create_app(rt.config, runtime=rt).test_client(), rt
    rt.engine.dispose()


def with_fresh_ids(paths):
    """Give most examples a new response id, so valid-but-odd answers reach intake instead of
    being answered as duplicates of the first one accepted."""
    fresh = itertools.count(10_000)

    def vary(value):
        for path in paths:
            node = value
            for step in path[:-1]:
                node = node.get(step) if isinstance(node, dict) else None
            if isinstance(node, dict) and path[-1] in node:
                node[path[-1]] = str(next(fresh))
        return value
    return vary


@pytest.mark.parametrize("name", sorted(VENDORS))
def test_survey_endpoint_survives_generated_requests(fuzz_app, name):
    client, runtime = fuzz_app
    vendor = VENDORS[name]
    shaped = shaped_like(vendor.payload())
    endpoint = Endpoint(vendor.path, sign=vendor.sign, shaped=shaped.map(with_fresh_ids(vendor.id_paths)),
                        extra_content_types=("application/vnd.surveymonkey.response.v1+json",))
    statuses = run(client, runtime, endpoint, max_examples=EXAMPLES)
    assert sum(statuses.values()) == EXAMPLES
    # The generator reaches every step of the checklist, acceptance included.
    assert {401, 415, 400, 422, 202} <= set(statuses), statuses
    print(f"{name}: {dict(sorted(statuses.items()))}")
