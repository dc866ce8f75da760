"""Survey-vendor tests: the shared ``runtime`` fixture with every vendor's secret configured."""
import pytest

from tests.conftest import make_config, make_runtime
from tests.surveys.vendors import SECRETS


@pytest.fixture
def survey_config_overrides():
    """Tests override this to change the configuration (rotated or missing secrets, …)."""
    return {}


@pytest.fixture
def runtime(db_url, fake_zendesk, fake_hubspot, survey_config_overrides):
    config = make_config(db_url, **{**SECRETS, **survey_config_overrides})
    rt = make_runtime(config, zendesk=fake_zendesk, hubspot=fake_hubspot)
    yield rt
    rt.engine.dispose()


@pytest.fixture
def reference_client(tmp_path, fake_zendesk, fake_hubspot):
    """A second, empty store on SQLite, to post the equivalent generic answer to."""
    from connector.web.app import create_app

    rt = make_runtime(make_config(f"sqlite:///{tmp_path / 'reference.db'}", **SECRETS),
                      zendesk=fake_zendesk, hubspot=fake_hubspot)
    yield create_app(rt.config, runtime=rt).test_client()
    rt.engine.dispose()
