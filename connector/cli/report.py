"""``recovery report``: the recovery metrics as a readable table, or JSON.

Register in ``connector.cli`` with ``main.add_command(report)``.
"""
import json

import click

from connector.config import load_config

_DAY = click.DateTime(formats=["%Y-%m-%d"])
_DIMENSIONS = (("recovery_rate_by_delay", "First-contact delay"),
               ("recovery_rate_by_profile", "Profile"),
               ("recovery_rate_by_value_tier", "Value tier"))


def _pct(value) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _nps(value) -> str:
    return "-" if value is None else f"{value:+.2f}"


def _money(value) -> str:
    return "-" if value is None else f"{value:,.0f}"


def _render_proof(report: dict, console) -> None:
    """Treated vs holdout (the protocol's effect) and the revenue at stake."""
    from rich.table import Table

    proof = report["holdout"]
    table = Table(title="With and without the protocol (closed cases; holdout: recognition and re-survey only)")
    for column in ("Group", "Cases", "Recovered", "Closed", "Rate"):
        table.add_column(column, justify="left" if column == "Group" else "right")
    for name in ("treated", "holdout"):
        group = proof[name]
        table.add_row(name, str(proof["cases"][name]), str(group["recovered"]), str(group["closed"]), _pct(group["rate"]))
    console.print(table)
    difference, needed = proof["difference"], proof["cases_needed"]
    if difference["difference"] is None:
        console.print("Difference: not measurable yet (both groups need closed cases; is the holdout on?)")
    else:
        verdict = "significant" if difference["significant"] else "not significant yet"
        console.print(f"Difference: {_pct(difference['difference'])} (95% CI {_pct(difference['low'])} to "
                      f"{_pct(difference['high'])}), {verdict}")
    if needed["still_needed"] is not None:
        console.print(f"Closed cases needed per group (95% confidence, 80% power): {needed['per_group']}; still "
                      f"needed: treated {needed['still_needed']['treated']}, holdout {needed['still_needed']['holdout']}")
    money = report["revenue"]
    made = money["protocol_difference"]
    console.print(f"Revenue (lifetime value): at risk {_money(money['at_risk'])}, preserved {_money(money['preserved'])} "
                  f"(treated {_money(money['preserved_treated'])}); {money['cases_without_value']} case(s) of unknown value")
    if made is not None:
        console.print(f"Preserved by the protocol (rate difference x treated value at risk "
                      f"{_money(money['treated_at_risk'])}): {_money(made['value'])} "
                      f"(95% CI {_money(made['low'])} to {_money(made['high'])})")


def _render_causes(report: dict, console) -> None:
    from rich.table import Table

    causes = Table(title="By root cause (rate over treated closed cases; value over all cases)")
    for column in ("Cause", "Cases", "Recovered", "Closed", "Rate", "Value at risk", "Preserved"):
        causes.add_column(column, justify="left" if column == "Cause" else "right")
    for key, group in report["causes"].items():
        causes.add_row(key, str(group["cases"]), str(group["recovered"]), str(group["closed"]), _pct(group["rate"]),
                       _money(group["at_risk"]), _money(group["preserved"]))
    console.print(causes)
    systemic = report["systemic_issues"]
    console.print(f"Systemic issues opened: {systemic['open']} open, {systemic['solved']} solved"
                  + "".join(f"\n  #{i['id']} {i['cause']}: {i['cases']} case(s), opened {i['opened_at']}, {i['status']}"
                            for i in systemic["issues"]), soft_wrap=True)


def render(report: dict, console) -> None:
    """Print ``report`` (from ``metrics_report``) on a rich ``console``."""
    from rich.table import Table

    window = report["window"]
    console.print(f"[bold]Recovery metrics[/bold]: {report['cases']} case(s), answers submitted "
                  f"{window['since'] or 'from the start'} to {window['until'] or 'now'} (UTC, inclusive)")
    shares = Table(title="Response times (all cases, open ones included)")
    for column in ("Measure", "Count", "Total", "Share"):
        shares.add_column(column, justify="left" if column == "Measure" else "right")
    for key, label in (("recognised_within_6h", "Recognised within 6 h"),
                       ("called_within_24h", "Called within 24 h")):
        share = report[key]
        shares.add_row(label, str(share["count"]), str(share["total"]), _pct(share["share"]))
    console.print(shares)
    rates = Table(title="Recovery rate (closed cases; recovered = promoter or passive)")
    for column in ("By", "Group", "Recovered", "Closed", "Rate"):
        rates.add_column(column, justify="left" if column in ("By", "Group") else "right")
    for key, label in _DIMENSIONS:
        groups = list(report[key].items())
        for index, (name, group) in enumerate(groups):
            rates.add_row(label if index == 0 else "", name, str(group["recovered"]),
                          str(group["closed"]), _pct(group["rate"]),
                          end_section=index == len(groups) - 1)
    console.print(rates)
    failures = report["failure_reasons"]
    reasons = Table(title="Why recoveries failed (cases closed partial or failed)")
    for column in ("Reason", "Cases", "Share"):
        reasons.add_column(column, justify="left" if column == "Reason" else "right")
    for name, count in [*failures["by_reason"].items(), ("(no reason recorded yet)", failures["missing"])]:
        reasons.add_row(name, str(count), _pct(count / failures["cases"] if failures["cases"] else None))
    console.print(reasons)
    console.print(f"{failures['cases']} case(s) closed partial or failed, {failures['missing']} without a reason yet")
    _render_proof(report, console)
    _render_causes(report, console)
    nps = report["nps_recovered_group"]
    console.print(f"NPS of the recovered group: before {_nps(nps['before'])} "
                  f"({nps['answers_before']} NPS answer(s)), after {_nps(nps['after'])} "
                  f"({nps['answers_after']} NPS answer(s))")


@click.command()
@click.option("--since", type=_DAY, default=None, help="First day (YYYY-MM-DD, UTC) of answers counted.")
@click.option("--until", type=_DAY, default=None, help="Last day (YYYY-MM-DD, UTC), inclusive.")
@click.option("--tenant", default="default", show_default=True, help="The company whose cases are counted.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (as GET /api/metrics).")
@click.option("--format", "output_format", type=click.Choice(["table", "json", "html"]), default="table",
              show_default=True, help="html: one self-contained page with charts, to mail around.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write the report to this file instead of the terminal.")
def report(since, until, tenant, as_json, output_format, output):
    """Recovery metrics: response times, recovery rates, failure reasons, NPS of the recovered group."""
    from connector.cases.reporting import metrics_report
    from connector.cli.database import require_existing
    from connector.installs.store import known_tenant
    from connector.runtime import build_runtime
    from connector.store.db import transaction

    since, until = since and since.date(), until and until.date()
    if since and until and until < since:
        raise click.BadParameter("must not be before --since", param_hint="--until")
    config = load_config()
    require_existing(config["DATABASE_URL"])
    rt = build_runtime(config)
    try:
        with transaction(rt.sessions) as session:
            if not known_tenant(session, tenant):
                raise click.BadParameter(f"no tenant {tenant!r} (see GET /api/installations)", param_hint="--tenant")
            figures = metrics_report(session, tenant_id=tenant, since=since, until=until,
                                     reasons=rt.policies.failure.reasons, now=rt.clock(),
                                     causes=rt.policies.causes.keys)
    finally:
        rt.engine.dispose()
    if as_json or output_format == "json":
        _emit(json.dumps(figures, indent=2), output)
    elif output_format == "html":
        from connector.cli.report_page import render_html

        _emit(render_html(figures), output)
    else:
        from rich.console import Console

        if output is None:
            render(figures, Console(highlight=False))
            return
        with open(output, "w", encoding="utf-8") as handle:
            render(figures, Console(file=handle, highlight=False, width=120))


def _emit(text: str, output: str | None) -> None:
    if output is None:
        click.echo(text)
        return
    with open(output, "w", encoding="utf-8") as handle:
        handle.write(text)
    click.echo(f"Report written to {output}", err=True)
