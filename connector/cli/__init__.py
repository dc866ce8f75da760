"""The ``recovery`` command: serve, worker, replay, install-schema, demo."""
import sys
import threading

import click

from connector.cli.database import check_reachable
from connector.config import (
    ConfigError,
    check_deployment,
    hubspot_configured,
    load_config,
    oauth_configured,
    secret_values,
    start_warnings,
    zendesk_configured,
    zendesk_missing,
)
from connector.infra import logs
from connector.mappings import MappingError


def _prepare(sandbox: bool) -> tuple[dict, list]:
    """Read the configuration once; start the stand-ins in sandbox mode."""
    from connector.runtime import check_config

    config = load_config()
    missing = zendesk_missing(config)
    if missing:
        raise ConfigError(f"Zendesk is half-configured: set {', '.join(missing)} too (or unset the others)")
    check_config(config)
    check_deployment(config, sandbox=bool(sandbox or config["SANDBOX"]))
    check_reachable(config["DATABASE_URL"])
    servers = []
    if sandbox or config["SANDBOX"]:
        from connector.sandbox.launch import start_sandbox
        servers = start_sandbox(config)
    elif not (zendesk_configured(config) or hubspot_configured(config) or oauth_configured(config)):
        raise click.ClickException(
            "neither Zendesk nor HubSpot is configured: set RECOVERY_ZENDESK_* and/or "
            "RECOVERY_HUBSPOT_ACCESS_TOKEN, or run with --sandbox (RECOVERY_SANDBOX=true)")
    logs.configure(config.get("LOG_LEVEL", "INFO"))
    logs.install_redaction(secret_values(config))
    if not (sandbox or config["SANDBOX"]):
        for warning in start_warnings(config):
            click.echo(f"warning: {warning}", err=True)
    return config, servers


class _Commands(click.Group):
    """Configuration and mapping errors end as one line naming the variable or file, never a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from None
        except MappingError as exc:
            raise click.ClickException(exc.one_line()) from None


@click.group(cls=_Commands)
def main():
    """Recovery connector: survey answers in, REACT recovery cases out to Zendesk and HubSpot."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--sandbox", is_flag=True, help="Run against the bundled Zendesk and HubSpot stand-ins.")
@click.option("--workers", default=None, type=int, help="Threads of the job worker process.")
def serve(host, port, sandbox, workers):
    """gunicorn web processes plus a job worker process, under one command (embedded default)."""
    from connector.web.serve import serve_app

    config, servers = _prepare(sandbox)
    if not servers:
        serve_app(config, host, port, workers)
        return
    from connector.cli.sandbox_banner import sandbox_banner, signing_app

    def ready(bound: int):  # sandbox: say where everything is, and the secrets it invented
        shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        for line in sandbox_banner(signing_app(config), config, servers, f"http://{shown}:{bound}"):
            click.echo(line)

    serve_app(config, host, port, workers, ready=ready)


@main.command()
@click.option("--threads", default=1, show_default=True, type=int)
def worker(threads):
    """Worker only, beside web processes (PostgreSQL for several machines)."""
    from connector.jobs.worker import start_threads
    from connector.runtime import build_runtime
    from connector.web.serve import stop_on_signals

    config, _ = _prepare(False)
    stop = threading.Event()
    stop_on_signals(stop)
    for thread in start_threads(build_runtime(config), threads, stop):
        while thread.is_alive():
            thread.join(0.5)


@main.command()
@click.argument("job_ids", nargs=-1, type=int)
@click.option("--all-dead", is_flag=True, help="Replay every dead job.")
def replay(job_ids, all_dead):
    """Put dead jobs back in the queue."""
    from sqlalchemy import select

    from connector.cases.shared import replay_dead_job
    from connector.cli.database import require_existing
    from connector.runtime import build_runtime
    from connector.store.db import transaction
    from connector.store.models import Job

    if not job_ids and not all_dead:
        raise click.UsageError("name job ids or pass --all-dead")
    config = load_config()
    require_existing(config["DATABASE_URL"])
    rt = build_runtime(config)
    try:
        with transaction(rt.sessions) as session:
            ids = list(job_ids)
            if all_dead:
                ids += session.scalars(select(Job.id).where(Job.status == "dead")).all()
            status = {job_id: state for job_id, state in session.execute(select(Job.id, Job.status).where(Job.id.in_(ids)))}
            replayed = [job_id for job_id in ids if replay_dead_job(session, job_id, rt.clock())]
    finally:
        rt.engine.dispose()
    if not ids:
        click.echo("no dead jobs: nothing to replay")
        return
    click.echo(f"replayed {len(replayed)} of {len(ids)} job(s): {', '.join(map(str, replayed)) or '-'}")
    for job_id in (i for i in ids if i not in replayed):
        said = f"is {status[job_id]}, not dead" if job_id in status else "does not exist"
        click.echo(f"job {job_id} {said}", err=True)
    if len(replayed) < len(ids):
        sys.exit(1)


@main.command("install-schema")
def install_schema_command():
    """Create the tables, or migrate them after an upgrade (idempotent); run it before the
    new version's processes start."""
    from connector.store.db import install_schema, make_engine

    revision = install_schema(make_engine(load_config()["DATABASE_URL"]))
    click.echo(f"schema installed (revision {revision})")


@main.command("rotate-keys")
def rotate_keys():
    """Re-encrypt every stored token and tenant secret with the first RECOVERY_ENCRYPTION_KEYS key.

    Put the new key first, run this, then drop the old key from the setting.
    """
    from connector.installs import store
    from connector.installs.crypto import TokenCipher
    from connector.store.db import (
        install_schema,
        make_engine,
        make_session_factory,
        transaction,
    )

    config = load_config()
    cipher = TokenCipher.from_config(config)
    if not cipher.configured:
        raise click.ClickException("RECOVERY_ENCRYPTION_KEYS is not set")
    engine = make_engine(config["DATABASE_URL"], synchronous=config.get("SQLITE_SYNCHRONOUS") or "FULL")
    install_schema(engine)
    with transaction(make_session_factory(engine)) as session:
        count = store.rotate_all(session, cipher)
    click.echo(f"re-encrypted {count} stored value(s) with the first key")


@main.command("generate-key")
def generate_key_command():
    """Print a new Fernet key for RECOVERY_ENCRYPTION_KEYS."""
    from connector.installs.crypto import generate_key

    click.echo(generate_key())


@main.command()
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--continue", "keep", is_flag=True,
              help="Keep the previous demo's database (its cases' tickets were on stand-ins that are gone).")
def demo(port, keep):
    """Sandbox: start, send the bundled sample answers, show what landed, keep serving."""
    from connector.cli.demo import choose_database, port_in_use, run_demo

    if port_in_use(port):
        raise click.ClickException(f"port {port} is in use (another `make run`?): stop it, or pick another "
                                   f"port (make run PORT={port + 1}, recovery demo --port {port + 1})")
    said = choose_database(keep)
    config, servers = _prepare(True)
    click.echo(said)
    run_demo(config, servers, port)


# Commands defined in their own modules.
from connector.cli.apps import apps  # noqa: E402 - the marketplace apps' build
from connector.cli.report import report  # noqa: E402
from connector.cli.send import send  # noqa: E402

main.add_command(report)
main.add_command(send)
main.add_command(apps)
