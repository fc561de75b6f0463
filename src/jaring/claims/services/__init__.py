"""Every write of a claim, each in one transaction, one module per concept:

``reporting`` (report, deceased), ``judging`` (eligibility, benefit, heirs chosen by the rules),
``family`` (family members, heir exceptions), ``documents`` (checklist, uploads, verification),
``decisions`` (the Pemda's maker-checker on the submission), ``bpjs`` (sent to the branch,
BPJS's receipt, decision and amounts), ``reports`` (the branch's claim report applied row by
row through ``bpjs`` and ``payments``), ``payments`` (instalments, BPJS's payments, the handover
and its signing), ``scholarship`` (each school year's application and BPJS's payment),
``discovery`` (death lists) and ``jkk`` (the work-accident path: reports, PLKK treatment, STMB
periods, return to work, disability assessment, suspected accidents). Callers use
``claims.services.<name>``."""

from jaring.claims.services.bpjs import (
    BpjsDecision,
    Outcome,
    record_decision,
    record_receipt,
    record_sending,
)
from jaring.claims.services.common import (
    DEATH_EVENTS,
    claims_dir,
    require_editable,
)
from jaring.claims.services.decisions import (
    approve,
    decide,
    dismiss,
    open_potential,
    send_back,
    submission_problems,
    submit,
)
from jaring.claims.services.discovery import (
    OPENED,
    import_deaths,
)
from jaring.claims.services.documents import (
    required_documents,
    upload_document,
    verify_document,
)
from jaring.claims.services.family import (
    add_family_member,
    override_heirs,
)
from jaring.claims.services.jkk import (
    Assessment,
    record_accident_report,
    record_assessment,
    record_discharge,
    record_incapacity_payment,
    record_incapacity_period,
    record_return_to_work,
    record_ruling,
    record_suspicion,
    record_treatment,
)
from jaring.claims.services.judging import (
    JUDGED_FIELDS,
    judge,
)
from jaring.claims.services.payments import (
    NOT_APPROVED,
    BankTransfer,
    HandoverFacts,
    create_instalments,
    record_benefit_payment,
    record_handover,
    sign_handover,
)
from jaring.claims.services.reporting import (
    EventReport,
    mark_deceased,
    report_event,
)
from jaring.claims.services.reports import (
    ReportImport,
    import_claim_report,
)
from jaring.claims.services.scholarship import (
    YearApplicationInput,
    record_scholarship_application,
    record_scholarship_payment,
)

__all__ = [
    "Assessment",
    "BankTransfer",
    "BpjsDecision",
    "Outcome",
    "DEATH_EVENTS",
    "EventReport",
    "HandoverFacts",
    "JUDGED_FIELDS",
    "NOT_APPROVED",
    "OPENED",
    "YearApplicationInput",
    "ReportImport",
    "add_family_member",
    "approve",
    "claims_dir",
    "create_instalments",
    "decide",
    "dismiss",
    "import_claim_report",
    "import_deaths",
    "judge",
    "mark_deceased",
    "open_potential",
    "override_heirs",
    "record_accident_report",
    "record_assessment",
    "record_benefit_payment",
    "record_decision",
    "record_discharge",
    "record_handover",
    "record_incapacity_payment",
    "record_incapacity_period",
    "record_receipt",
    "record_return_to_work",
    "record_ruling",
    "record_scholarship_application",
    "record_scholarship_payment",
    "record_sending",
    "record_suspicion",
    "record_treatment",
    "report_event",
    "require_editable",
    "required_documents",
    "send_back",
    "sign_handover",
    "submission_problems",
    "submit",
    "upload_document",
    "verify_document",
]
