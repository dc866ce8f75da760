"""What the customer said and what to send them: the parts of a case the screens tell beside its stages.

The opening answer gives the customer's name, the score on its scale, the survey and the
comment; later answers that did not close the case are interim (SPEC "Outcome") and are
listed as such, apart from the answer that closed it; the acknowledgement draft is the one the
Zendesk note carries.
"""
from connector.domain import policies as policy_rules
from connector.domain.policies import Policies
from connector.store.models import Answer, Case


def case_story(session, case: Case, policies: Policies) -> dict:
    opening = session.get(Answer, case.opening_answer_id) if case.opening_answer_id else None
    if opening is None:  # a case always has one; a hand-made row in a test may not
        return {"customer_name": None, "company": None, "survey_type": None, "score": case.score,
                "survey_name": None, "survey_kind": None, "comment": None, "answered_at": case.opened_at,
                "interim": [], "draft": None, "closing": None}
    owner = case.owner_name or case.owner
    interim = sorted(case.interim_answers, key=lambda a: a.submitted_at)
    closing = session.get(Answer, case.closing_answer_id) if case.closing_answer_id else None
    return {
        "customer_name": opening.customer_name, "company": opening.company,
        "survey_type": opening.survey_type, "score": opening.score, "survey_name": opening.survey_name,
        "survey_kind": opening.survey_kind, "comment": opening.comment, "answered_at": opening.submitted_at,
        "interim": [_said(a) for a in interim],
        "closing": _said(closing) if closing is not None else None,
        "draft": policy_rules.recognition(opening.locale, opening.customer_name, opening.comment, owner, policies),
    }


def _said(answer: Answer) -> dict:
    return {"survey_type": answer.survey_type, "score": answer.score, "category": answer.category,
            "comment": answer.comment, "submitted_at": answer.submitted_at}
