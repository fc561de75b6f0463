"""The JKK path on the claim page: its section (with only the forms this user may use now) and
one POST endpoint per action, each calling one service of ``claims.services.jkk``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from jaring.claims import forms, selectors, services
from jaring.claims.models import AccidentReport, Claim
from jaring.claims.services.common import DEATH_EVENTS
from jaring.claims.web import apply_form
from jaring.reference.selectors import plkk_near


@dataclass(frozen=True)
class Action:
    title: str
    form: type
    call: Callable[[Claim, Any, dict], Any]
    done: str
    # Whether the action records BPJS's own facts (the BPJS officer may record those too).
    bpjs_fact: bool = False
    form_kwargs: Callable[[Claim], dict] = lambda claim: {}


def _assessment(data: dict) -> services.Assessment:
    return services.Assessment(
        data["kind"],
        data["assessed_on"],
        data["doctor"],
        data["table_percent"] or 0,
        data["function_loss_percent"] or 0,
    )


ACTIONS: dict[str, Action] = {
    "tahap_1": Action(
        gettext_lazy("Stage I accident report (within 2 × 24 hours)"),
        forms.StageOneForm,
        lambda claim, user, d: services.record_accident_report(
            claim,
            user,
            AccidentReport.Stage.FIRST,
            d["made_at"],
            accident_at=d["accident_at"],
            note=d["note"],
        ),  # fmt: skip
        gettext_lazy("Stage I accident report recorded."),
    ),
    "tahap_2": Action(
        gettext_lazy("Stage II accident report (after treatment)"),
        forms.StageTwoForm,
        lambda claim, user, d: services.record_accident_report(
            claim,
            user,
            AccidentReport.Stage.SECOND,
            d["made_at"],
            treatment_ended_on=d["treatment_ended_on"],
            note=d["note"],
        ),  # fmt: skip
        gettext_lazy("Stage II accident report recorded."),
    ),
    "perawatan": Action(
        gettext_lazy("Treatment at a PLKK"),
        forms.TreatmentForm,
        lambda claim, user, d: services.record_treatment(
            claim, user, d["plkk"], d["admitted_on"], d["discharged_on"]
        ),
        gettext_lazy("Treatment at the PLKK recorded."),
        form_kwargs=lambda claim: {"plkk": plkk_near(claim.village_id)},
    ),
    "pulang": Action(
        gettext_lazy("Discharge from the PLKK"),
        forms.DischargeForm,
        lambda claim, user, d: services.record_discharge(d["treatment"], user, d["discharged_on"]),
        gettext_lazy("Discharge recorded."),
        form_kwargs=lambda claim: {"claim": claim},
    ),
    "stmb": Action(
        gettext_lazy("Period unable to work (STMB)"),
        forms.IncapacityPeriodForm,
        lambda claim, user, d: services.record_incapacity_period(
            claim, user, d["starts_on"], d["ends_on"]
        ),
        gettext_lazy("Period unable to work recorded."),
    ),
    "stmb_bayar": Action(
        gettext_lazy("BPJS's payment of an STMB period"),
        forms.IncapacityPaymentForm,
        lambda claim, user, d: services.record_incapacity_payment(
            d["period"], user, d["amount"], d["paid_on"], d["reference"]
        ),
        gettext_lazy("BPJS's payment of the period recorded."),
        bpjs_fact=True,
        form_kwargs=lambda claim: {"claim": claim},
    ),
    "kembali_kerja": Action(
        gettext_lazy("Return to work"),
        forms.ReturnToWorkForm,
        lambda claim, user, d: services.record_return_to_work(claim, user, d["returned_on"]),
        gettext_lazy("Return to work recorded."),
    ),
    "penilaian": Action(
        gettext_lazy("Doctor's disability assessment"),
        forms.AssessmentForm,
        lambda claim, user, d: services.record_assessment(claim, user, _assessment(d)),
        gettext_lazy("Disability assessment recorded; the benefit was computed again."),
    ),
    "dugaan": Action(
        gettext_lazy("Suspected work accident notified to BPJS"),
        forms.SuspicionForm,
        lambda claim, user, d: services.record_suspicion(
            claim, user, d["notified_on"], d["description"]
        ),
        gettext_lazy("Suspected work accident recorded."),
    ),
    "penetapan": Action(
        gettext_lazy("BPJS's ruling on the suspected work accident"),
        forms.RulingForm,
        lambda claim, user, d: services.record_ruling(
            claim, user, d["ruling"], d["ruled_on"], d["note"]
        ),
        gettext_lazy("BPJS's ruling recorded."),
        bpjs_fact=True,
    ),
}


def _available(claim: Claim, path: selectors.JkkPath) -> set[str]:
    """The actions the claim's state allows now (before asking who the user is)."""
    if claim.status in {"dismissed", "rejected"}:
        return set()
    names = {"tahap_1", "stmb", "kembali_kerja", "dugaan"}
    if path.stage_one:
        names.add("tahap_2")
    if plkk_near(claim.village_id):
        names.add("perawatan")
    if any(t.discharged_on is None for t in path.treatments):
        names.add("pulang")
    if path.periods:
        names.add("stmb_bayar")
    if claim.is_editable and claim.event not in DEATH_EVENTS:
        names.add("penilaian")
    if path.suspicion:
        names.add("penetapan")
    return names


def _allowed(user, claim: Claim, action: Action) -> bool:
    if selectors.may_prepare(user, claim):
        return True
    return action.bpjs_fact and selectors.may_record_bpjs(user, claim)


def section(user, claim: Claim, today) -> dict:
    """The JKK section's context: the path and the forms this user may use now."""
    path = selectors.jkk_path(claim, today)
    available = _available(claim, path)
    allowed = [
        (name, action.title, action.form(prefix=name, **action.form_kwargs(claim)))
        for name, action in ACTIONS.items()
        if name in available and _allowed(user, claim, action)
    ]
    return {"path": path, "forms": allowed}


@login_required
@require_POST
def jkk_action(request, pk: int, action: str):
    claim = selectors.claim_for(request.user, pk)
    spec = ACTIONS.get(action)
    if spec is None or claim.program != "JKK":
        raise Http404(action)
    return apply_form(
        request,
        claim,
        spec.form(request.POST, prefix=action, **spec.form_kwargs(claim)),
        lambda data: spec.call(claim, request.user, data),
        _("Check the details of the work-accident path."),
        str(spec.done),
    )
