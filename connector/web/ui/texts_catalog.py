"""The sidebar's sentences, English and French (``texts.Words`` picks one). Placeholders are
``str.format`` names; every value put in them is escaped by Jinja when the page renders."""

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "case.none": "No recovery case for ticket #{ticket}.",
        "case.title": "Recovery case #{id}",
        "case.value": "{tier} value",
        "case.customer": "Customer", "case.score": "Score", "case.profile": "Profile", "case.owner": "Owner",
        "case.status": "Status", "case.answered": "Answered", "case.holdout": "Holdout: recognition and re-survey only",
        "status.open": "In progress", "status.closed": "Closed", "status.closed_as": "Closed: {outcome}",
        "outcome.promoter": "recovered (now a promoter)", "outcome.passive": "recovered (now passive)",
        "outcome.partial": "partly recovered (still a detractor)", "outcome.failed": "not recovered",
        "priority.urgent": "urgent", "priority.high": "high priority", "priority.normal": "normal priority",
        "priority.low": "low priority",
        "severity.critical": "super-detractor", "severity.moderate": "detractor",
        "tier.critical": "critical", "tier.high": "high", "tier.standard": "standard",
        "profile.disappointed": "disappointed", "profile.chronic": "chronic", "profile.structural": "structural",
        "survey.kind.relational": "relational", "survey.kind.transactional": "transactional",
        "words.title": "Customer's words", "words.none": "(no comment)",
        "interim.title": "Answers since the case opened",
        "interim.note": "Interim: they do not close the case.", "closing.title": "The answer that closed it",
        "draft.title": "Acknowledgement to send",
        "draft.no_owner": "No owner routed yet: the draft appears once the case has an owner.",
        "next": "Next", "signals": "Signals", "stages": "Stages",
        "stage.day": "{title} (day {day})", "stage.due": "due {when}", "stage.overdue": "OVERDUE",
        "stage.done": "✓ done {when}", "stage.skipped": "skipped: the case closed",
        "stage.mark_done": "Mark done", "stage.marked": "Marked done", "stage.undo": "Undo",
        "stage.no_gesture": "no gesture: {reason}", "stage.priority_support": "+ {days} days priority support",
        "stage.resurvey_manual": "re-survey to send by hand", "stage.resurvey_sent": "re-survey sent by {channel}",
        "cause.title": "Cause", "cause.confirmed": "Confirmed", "cause.suggested": "Suggested",
        "cause.from": "from", "cause.missing": "No cause suggested: pick one.", "cause.change": "Change",
        "cause.confirm": "Confirm",
        "promises.title": "Promises", "promises.by": "by {when}", "promises.kept": "✓ kept", "promises.keep": "Kept",
        "confirmation.title": "Confirmation to send",
        "action.title": "Action plan: promises", "action.what": "What", "action.who": "Who",
        "action.who_hint": "owner e-mail or name", "action.by": "By", "action.add": "Add a promise",
        "action.submit": "Record and complete",
        "comp.title": "Record compensation", "comp.default": "Optional: ask first what the customer values. Default: {offer}.",
        "comp.type": "Type", "comp.amount": "Amount", "comp.currency": "Currency",
        "comp.support_days": "Priority support (days)", "comp.reason": "Reason (type none)", "comp.note": "Note",
        "comp.submit": "Record and complete", "comp.recorded": "Compensation recorded",
        "comp.done_without": "Compensation marked done without a record.", "comp.change": "Record another",
        "failure.title": "Why did this recovery fail?", "failure.recorded": "Recorded:",
        "failure.missing": "The case closed {outcome}: record the reason.", "failure.reason": "Reason",
        "failure.note": "Note", "failure.change": "Change the reason", "failure.record": "Record the reason",
        "error.compensation": "Could not record the compensation.", "error.reason": "Could not record the reason.",
        "error.promises": "Could not record the promises.", "error.promise": "promise",
        "error.chronic_plan": "A chronic case's action plan needs a named owner and a date: add a promise.",
    },
    "fr": {
        "case.none": "Aucun dossier de reconquête pour le ticket n°{ticket}.",
        "case.title": "Dossier de reconquête n°{id}",
        "case.value": "valeur {tier}",
        "case.customer": "Client", "case.score": "Note", "case.profile": "Profil", "case.owner": "Responsable",
        "case.status": "Statut", "case.answered": "Réponse du", "case.holdout": "Groupe témoin : accusé de réception et nouvelle enquête seulement",
        "status.open": "En cours", "status.closed": "Clos", "status.closed_as": "Clos : {outcome}",
        "outcome.promoter": "reconquis (promoteur)", "outcome.passive": "reconquis (passif)",
        "outcome.partial": "reconquis en partie (toujours détracteur)", "outcome.failed": "non reconquis",
        "priority.urgent": "urgent", "priority.high": "priorité haute", "priority.normal": "priorité normale",
        "priority.low": "priorité basse",
        "severity.critical": "super-détracteur", "severity.moderate": "détracteur",
        "tier.critical": "critique", "tier.high": "élevée", "tier.standard": "standard",
        "profile.disappointed": "déçu", "profile.chronic": "chronique", "profile.structural": "structurel",
        "survey.kind.relational": "relationnelle", "survey.kind.transactional": "transactionnelle",
        "words.title": "Les mots du client", "words.none": "(pas de commentaire)",
        "interim.title": "Réponses depuis l'ouverture",
        "interim.note": "Intermédiaires : elles ne clôturent pas le dossier.",
        "closing.title": "La réponse qui l'a clos",
        "draft.title": "Accusé de réception à envoyer",
        "draft.no_owner": "Pas encore de responsable : le brouillon apparaît quand le dossier en a un.",
        "next": "Ensuite", "signals": "Signaux", "stages": "Étapes",
        "stage.day": "{title} (jour {day})", "stage.due": "échéance {when}", "stage.overdue": "EN RETARD",
        "stage.done": "✓ fait le {when}", "stage.skipped": "non faite : dossier clos",
        "stage.mark_done": "Marquer fait", "stage.marked": "Marquée faite", "stage.undo": "Annuler",
        "stage.no_gesture": "pas de geste : {reason}", "stage.priority_support": "+ {days} jours de support prioritaire",
        "stage.resurvey_manual": "nouvelle enquête à envoyer à la main",
        "stage.resurvey_sent": "nouvelle enquête envoyée par {channel}",
        "cause.title": "Cause", "cause.confirmed": "Confirmée", "cause.suggested": "Suggérée",
        "cause.from": "d'après", "cause.missing": "Aucune cause suggérée : choisissez-en une.",
        "cause.change": "Changer", "cause.confirm": "Confirmer",
        "promises.title": "Engagements", "promises.by": "pour le {when}", "promises.kept": "✓ tenu",
        "promises.keep": "Tenu",
        "confirmation.title": "Confirmation à envoyer",
        "action.title": "Plan d'action : engagements", "action.what": "Quoi", "action.who": "Qui",
        "action.who_hint": "e-mail ou nom du responsable", "action.by": "Pour le", "action.add": "Ajouter un engagement",
        "action.submit": "Enregistrer et terminer",
        "comp.title": "Enregistrer le geste commercial",
        "comp.default": "Facultatif : demandez d'abord ce qui compte pour le client. Par défaut : {offer}.",
        "comp.type": "Type", "comp.amount": "Montant", "comp.currency": "Devise",
        "comp.support_days": "Support prioritaire (jours)", "comp.reason": "Raison (type none)", "comp.note": "Note",
        "comp.submit": "Enregistrer et terminer", "comp.recorded": "Geste commercial enregistré",
        "comp.done_without": "Étape marquée faite sans geste enregistré.", "comp.change": "En enregistrer un autre",
        "failure.title": "Pourquoi cette reconquête a-t-elle échoué ?", "failure.recorded": "Enregistré :",
        "failure.missing": "Le dossier est clos ({outcome}) : indiquez la raison.", "failure.reason": "Raison",
        "failure.note": "Note", "failure.change": "Changer la raison", "failure.record": "Enregistrer la raison",
        "error.compensation": "Le geste n'a pas pu être enregistré.", "error.reason": "La raison n'a pas pu être enregistrée.",
        "error.promises": "Les engagements n'ont pas pu être enregistrés.", "error.promise": "engagement",
        "error.chronic_plan": "Le plan d'action d'un cas chronique demande un responsable nommé et une date : "
                              "ajoutez un engagement.",
    },
}

# The default protocol's titles (mappings/protocol.json) in French; an admin's own title is shown as written.
STAGE_TITLES: dict[str, dict[str, str]] = {
    "fr": {"Recognition": "Reconnaissance", "Empathy call": "Appel d'empathie", "Action plan": "Plan d'action",
           "Compensation": "Geste commercial", "Tracking": "Suivi", "Re-survey": "Nouvelle enquête"},
}

# The default stage instructions (mappings/protocol.json and the playbooks of mappings/playbooks.json)
# in French; an admin's own wording is shown as written.
STAGE_ASKS: dict[str, dict[str, str]] = {
    "fr": {
        "Send a personal acknowledgement naming yourself as owner and promising a call within 24 h, in the "
        "customer's language. Never a generic auto-reply.":
            "Envoyez un accusé de réception personnel, en vous nommant comme responsable et en promettant un "
            "appel sous 24 h, dans la langue du client. Jamais une réponse automatique générique.",
        "Call the customer. Listen first (70/30) and note their own words.":
            "Appelez le client. Écoutez d'abord (70/30) et notez ses propres mots.",
        "Write a concrete plan: each action with an owner and a date.":
            "Rédigez un plan concret : chaque action avec un responsable et une date.",
        "Ask what the customer values; offer a proportionate gesture only where it fits. Record its type and "
        "amount, or none with the reason.":
            "Demandez ce qui compte pour le client ; proposez un geste proportionné seulement s'il convient. "
            "Enregistrez son type et son montant, ou aucun avec la raison.",
        "Send a progress update email.": "Envoyez un e-mail pour faire le point sur l'avancement.",
        "Call to confirm the problem is resolved.": "Appelez pour confirmer que le problème est résolu.",
        "Send an informal check-in email: friendly, not formal.":
            "Envoyez un e-mail de suivi informel : chaleureux, pas formel.",
        "Ask the customer for a new NPS answer, with an open question on how the recovery went for them.":
            "Demandez au client une nouvelle réponse NPS, avec une question ouverte sur la façon dont il a vécu "
            "la reconquête.",
        "Chronic case (repeated failures): a fix of this one incident is not enough. Write a plan for a "
        "demonstrable structural change that stops it recurring, each action with a named owner and a date, "
        "and tell the customer how they will see the change.":
            "Cas chronique (échecs répétés) : corriger ce seul incident ne suffit pas. Rédigez un plan de "
            "changement structurel démontrable qui empêche qu'il se reproduise, chaque action avec un "
            "responsable nommé et une date, et dites au client comment il verra ce changement.",
        "Call to confirm the problem is resolved and show the customer the structural change made since (what "
        "changed, who owns it).":
            "Appelez pour confirmer que le problème est résolu et montrez au client le changement structurel "
            "apporté depuis (ce qui a changé, qui en est responsable).",
        "Structural case (poor fit): plan a graceful exit, not a fix. Acknowledge the gap honestly, help with "
        "the transition (data export, contract terms, a fair end date), and keep the door open for when the "
        "product covers the need.":
            "Cas structurel (inadéquation) : préparez une sortie élégante, pas une correction. Reconnaissez "
            "l'écart honnêtement, aidez à la transition (export des données, conditions du contrat, date de fin "
            "équitable) et laissez la porte ouverte pour le jour où le produit couvrira le besoin.",
    },
}

# The default compensation guidance (mappings/compensation.json, composed by
# domain.compensation.compensation_guidance: "<guidance> Default for <whose>: <offer>.") in French.
_GUIDANCE_FR = ("Un geste est facultatif : proposez-en un seulement s'il convient, à la mesure du tort subi. "
                "Demandez d'abord ce qui compte pour le client (du temps, de l'argent, de l'attention, une "
                "fonctionnalité). En terminant cette étape, enregistrez le type et le montant, ou « none » avec "
                "la raison.")
_GUIDANCE_EN = ("A gesture is optional: offer one only where it fits, in proportion to the harm. Ask first what the "
                "customer values (time, money, attention, a feature). When you complete this stage, record the type "
                'and amount, or "none" with the reason.')
_DEFAULT_GESTURES = (  # (whose, offer) in English, then in French
    ("a critical-value customer", "2 months free and priority access to the features they asked for",
     "un client de valeur critique", "2 mois offerts et un accès prioritaire aux fonctionnalités demandées"),
    ("a high-value customer", "1 month free and 90 days of priority support",
     "un client de valeur élevée", "1 mois offert et 90 jours de support prioritaire"),
    ("a standard-value customer", "10–25% of the problem transaction (credit or discount)",
     "un client de valeur standard", "10 à 25 % de la transaction en cause (avoir ou remise)"),
    ("a structural case (poor fit)",
     "a pro-rata refund of the unused period and help with the migration (data export, a fair end date)",
     "un cas structurel (inadéquation)",
     "un remboursement au prorata de la période non utilisée et une aide à la migration (export des données, "
     "une date de fin équitable)"),
)
GESTURE_OFFERS: dict[str, dict[str, str]] = {"fr": {offer: offre for _, offer, _, offre in _DEFAULT_GESTURES}}
STAGE_ASKS["fr"].update({f"{_GUIDANCE_EN} Default for {whose}: {offer}.": f"{_GUIDANCE_FR} Par défaut pour {qui} : {offre}."
                         for whose, offer, qui, offre in _DEFAULT_GESTURES})

# The default failure reasons (mappings/failure.json) in French, by their English label.
FAILURE_LABELS: dict[str, dict[str, str]] = {
    "fr": {"We reached the customer too late": "Nous avons joint le client trop tard",
           "We never reached the customer": "Nous n'avons jamais joint le client",
           "The problem was not fixed": "Le problème n'a pas été corrigé",
           "The product does not fit the customer's needs": "Le produit ne correspond pas aux besoins du client",
           "Price": "Le prix", "The customer chose a competitor": "Le client a choisi un concurrent",
           "Other (say which in the note)": "Autre (précisez dans la note)"},
}
