"""``recovery report --format html``: the report as one self-contained page a person can mail.

Inline CSS and inline SVG bar charts, no script, no external asset (a mail client or an
offline laptop shows it whole); every text is escaped by Jinja's autoescape.
"""
from typing import Any

from jinja2 import Environment

_CHART_WIDTH, _BAR_HEIGHT, _LABEL_WIDTH = 560, 26, 170

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Recovery report</title>
<style>
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1f2933;max-width:900px;margin:2em auto;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #d9e2ec}
.lead{color:#52606d}.figures{display:flex;flex-wrap:wrap;gap:1em;margin:1em 0}
.figure{background:#f0f4f8;border-radius:6px;padding:.7em 1em;min-width:11em}
.figure b{display:block;font-size:1.4em}svg text{font:13px system-ui,sans-serif;fill:#1f2933}
.note{color:#52606d;font-size:.9em}.issues{border-collapse:collapse}.issues td,.issues th{padding:.2em .8em;border-bottom:1px solid #d9e2ec;text-align:left}
</style></head><body>
<h1>Recovery report</h1>
<p class="lead">{{ report.cases }} case(s), answers submitted {{ report.window.since or "from the start" }} to
{{ report.window.until or "now" }} (UTC, inclusive). Recovered = the customer's later answer is promoter or passive.</p>
<h2>With and without the protocol</h2>
<div class="figures">
 <div class="figure">Treated<b>{{ pct(proof.treated.rate) }}</b>{{ proof.treated.recovered }} of {{ proof.treated.closed }} closed</div>
 <div class="figure">Holdout<b>{{ pct(proof.holdout.rate) }}</b>{{ proof.holdout.recovered }} of {{ proof.holdout.closed }} closed</div>
 <div class="figure">Difference<b>{{ pct(diff.difference) }}</b>{% if diff.difference is not none %}95% CI {{ pct(diff.low) }} to {{ pct(diff.high) }}{% else %}not measurable yet{% endif %}</div>
</div>
{{ chart("treated-vs-holdout", [("Treated", proof.treated), ("Holdout", proof.holdout)]) }}
<p class="note">{% if diff.significant %}The difference is significant at 95% confidence.{% elif diff.difference is not none %}Not significant yet.{% endif %}
{% if needed.still_needed %} Closed cases needed per group for 95% confidence and 80% power: {{ needed.per_group }};
still needed: treated {{ needed.still_needed.treated }}, holdout {{ needed.still_needed.holdout }}.{% endif %}
Held-out cases receive only the recognition and the re-survey.</p>
<h2>Revenue (customers' lifetime value)</h2>
<div class="figures">
 <div class="figure">At risk<b>{{ money(revenue.at_risk) }}</b>all cases</div>
 <div class="figure">Preserved<b>{{ money(revenue.preserved) }}</b>recovered customers</div>
 <div class="figure">Made by the protocol<b>{{ money(made.value if made else none) }}</b>{% if made %}95% CI {{ money(made.low) }} to {{ money(made.high) }}{% else %}needs a holdout{% endif %}</div>
</div>
{{ money_chart("revenue", [("At risk", revenue.at_risk), ("Preserved", revenue.preserved),
   ("Made by the protocol", made.value if made else none)]) }}
<p class="note">Made by the protocol = (treated rate &minus; holdout rate) &times; the treated cases' value at risk
({{ money(revenue.treated_at_risk) }}). {{ revenue.cases_without_value }} case(s) of unknown value count 0.</p>
<h2>Root causes</h2>
<p class="note">Each case counts under its cause (the agent's, else the one suggested from the comment).</p>
{{ chart("causes", report.causes.items()) }}
{{ money_chart("causes-at-risk", causes_at_risk) }}
<p class="note">Value at risk per cause (customers' lifetime value, all cases).</p>
<h2>Systemic issues</h2>
{% if systemic.issues %}<table class="issues"><tr><th>Issue</th><th>Cause</th><th>Cases</th><th>Opened</th><th>Status</th></tr>
{% for issue in systemic.issues %}<tr><td>#{{ issue.id }}</td><td>{{ issue.cause }}</td><td>{{ issue.cases }}</td><td>{{ issue.opened_at }}</td><td>{{ issue.status }}</td></tr>{% endfor %}
</table>{% else %}<p class="note">No systemic issue opened in this window (three cases with one cause within the configured days open one).</p>{% endif %}
{% for key, title in dimensions %}<h2>Recovery rate by {{ title }} (treated cases)</h2>
{{ chart(key, report[key].items()) }}{% endfor %}
</body></html>
"""

_CHART = """<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="{{ name }}" role="img" width="{{ width }}"
 height="{{ height }}" viewBox="0 0 {{ width }} {{ height }}"><title>{{ name }}</title>
{% for bar in bars %}<g transform="translate(0,{{ bar.y }})"><text x="0" y="17">{{ bar.label }}</text>
<rect x="{{ left }}" y="2" width="{{ span }}" height="{{ bar_height - 6 }}" fill="#e4e7eb"/>
<rect class="bar" x="{{ left }}" y="2" width="{{ bar.length }}" height="{{ bar_height - 6 }}" fill="#2f80ed"/>
<text x="{{ left + span + 8 }}" y="17">{{ bar.text }}</text></g>
{% endfor %}</svg>"""

_DIMENSIONS = (("recovery_rate_by_delay", "first-contact delay"), ("recovery_rate_by_profile", "profile"),
               ("recovery_rate_by_value_tier", "value tier"))


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _money(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


_ENV = Environment(autoescape=True)
_CHART_TEMPLATE = _ENV.from_string(_CHART)


def _chart(name: str, groups) -> str:
    """Horizontal bars, one per group: its recovery rate, with recovered / closed beside it."""
    from markupsafe import Markup

    span = _CHART_WIDTH - _LABEL_WIDTH - 150
    bars = [{"label": str(label), "y": index * _BAR_HEIGHT, "length": round(span * (group["rate"] or 0), 1),
             "text": f"{_pct(group['rate'])} ({group['recovered']}/{group['closed']})"}
            for index, (label, group) in enumerate(groups)]
    return Markup(_CHART_TEMPLATE.render(name=name, bars=bars, width=_CHART_WIDTH, left=_LABEL_WIDTH, span=span,
                                         bar_height=_BAR_HEIGHT, height=max(1, len(bars)) * _BAR_HEIGHT))


def _money_chart(name: str, amounts) -> str:
    """Horizontal bars of amounts, scaled to the largest (a negative or unknown one draws none)."""
    from markupsafe import Markup

    span = _CHART_WIDTH - _LABEL_WIDTH - 150
    largest = max([amount or 0 for _, amount in amounts] + [0])
    bars = [{"label": label, "y": index * _BAR_HEIGHT, "text": _money(amount),
             "length": round(span * max(amount or 0, 0) / largest, 1) if largest else 0}
            for index, (label, amount) in enumerate(amounts)]
    return Markup(_CHART_TEMPLATE.render(name=name, bars=bars, width=_CHART_WIDTH, left=_LABEL_WIDTH, span=span,
                                         bar_height=_BAR_HEIGHT, height=len(bars) * _BAR_HEIGHT))


def render_html(report: dict[str, Any]) -> str:
    """The page for ``report`` (from ``metrics_report``)."""
    proof = report["holdout"]
    return _ENV.from_string(_PAGE).render(
        report=report, proof=proof, diff=proof["difference"], needed=proof["cases_needed"],
        revenue=report["revenue"], made=report["revenue"]["protocol_difference"], dimensions=_DIMENSIONS,
        systemic=report["systemic_issues"],
        causes_at_risk=[(key, group["at_risk"]) for key, group in report["causes"].items()],
        pct=_pct, money=_money, chart=_chart, money_chart=_money_chart)
