"""Request and response shapes of /api/v1/ (Pydantic, through django-ninja)."""

from __future__ import annotations

import datetime
from typing import Annotated, Literal

from ninja import Schema
from pydantic import Field

from jaring.api.errors import client_language
from jaring.claims.rules import DOCUMENT_KINDS
from jaring.core.masking import mask_name
from jaring.registry.selectors import may_see_personal_data

MAX_ID = 2**63 - 1  # a row id (bigint)


class ErrorOut(Schema):
    code: str
    message: str
    details: object | None = None


class RegionOut(Schema):
    code: str
    name: str
    level: int
    parent: str | None = Field(None, alias="parent_id")


class WorkerOut(Schema):
    id: int
    nik: str = Field(
        alias="masked_nik", description="always masked (reveal with a reason on screen)"
    )
    name: str = Field(description="full name for roles with personal data, else masked")
    sex: str
    birth_date: datetime.date | None = Field(None, description="personal data roles only")
    village: str = Field(alias="village_id")
    district: str = Field(alias="district_code")
    occupation: str = Field(alias="occupation_id")
    declared_income: int | None
    desil: int | None
    status: str
    date_of_death: datetime.date | None

    @staticmethod
    def resolve_name(obj, context) -> str:
        if may_see_personal_data(context["request"].user, obj):
            return obj.full_name
        return mask_name(obj.full_name)

    @staticmethod
    def resolve_birth_date(obj, context):
        return obj.birth_date if may_see_personal_data(context["request"].user, obj) else None


class WorkerIn(Schema):
    nik: str = Field(min_length=16, max_length=20, examples=["1403014101850001"])
    full_name: str = Field(min_length=1, max_length=150)
    sex: Literal["L", "P"]
    birth_date: datetime.date
    village: str = Field(description="Kemendagri village code, e.g. 14.03.01.2007")
    occupation: str = "lainnya"
    declared_income: int | None = Field(None, ge=0, le=10**12)
    desil: int | None = Field(None, ge=1, le=10)
    phone: str = Field("", max_length=20)
    address: str = Field("", max_length=255)
    source: str = Field("", max_length=50)


class WorkerPatch(Schema):
    phone: str | None = Field(None, max_length=20)
    address: str | None = Field(None, max_length=255)
    occupation: str | None = None
    declared_income: int | None = Field(None, ge=0, le=10**12)
    desil: int | None = Field(None, ge=1, le=10)
    village: str | None = None
    reason: str = Field("", max_length=100)


class ImportOut(Schema):
    id: int
    region: str
    file_name: str
    status: str
    dry_run: bool
    rows: int
    accepted: int
    updated: int
    unchanged: int
    duplicates: int
    rejected: int
    registered_elsewhere: int = Field(
        0, description="rows whose NIK another region holds: a transfer request each"
    )
    warnings: int
    error: str
    created_at: datetime.datetime


class EnrolmentOut(Schema):
    id: int
    worker_id: int
    source: str = Field(alias="source.name")
    start_month: datetime.date
    end_month: datetime.date
    status: str
    kpj: str = Field(description="last four digits only")
    end_reason: str

    @staticmethod
    def resolve_kpj(obj) -> str:
        return obj.kpj_number[-4:]


class InvoiceOut(Schema):
    id: int
    number: str
    source: str = Field(alias="source.name")
    month: datetime.date
    total: int
    paid: int


class PaymentIn(Schema):
    amount: int = Field(gt=0, le=10**13)
    paid_on: datetime.date
    reference: str = Field(min_length=1, max_length=80)
    note: str = Field("", max_length=200)


class PaymentOut(Schema):
    id: int
    invoice_id: int
    amount: int
    paid_on: datetime.date
    reference: str


class BillingRunIn(Schema):
    region: str = Field(examples=["14.03"])
    month: datetime.date = Field(description="any day of the month to bill")
    source: str | None = None


class BillingRunOut(Schema):
    month: str
    invoices: list[dict]
    new_lines: int = Field(description="participant-months this run billed (one line each)")
    total: int
    refused: list[dict] = Field(
        default=[], description="sources not billed, each with its code and reason"
    )


class ClaimOut(Schema):
    id: int
    number: str
    worker_id: int
    village: str = Field(alias="village_id")
    program: str
    event: str
    event_date: datetime.date
    status: str
    eligible: bool | None
    reason_code: str
    reason: str
    benefit_total: int  # Jaring's expected cash benefit
    components: list[dict]
    documents_complete_on: datetime.date | None
    sent_on: datetime.date | None
    bpjs_received_on: datetime.date | None
    bpjs_claim_number: str
    bpjs_total: int | None  # the cash benefit as BPJS computed it
    bpjs_decided_on: datetime.date | None
    bpjs_reason: str
    bpjs_components: list[dict]
    amount_difference: int | None = Field(
        None, description="BPJS's cash benefit minus the expected one (a difference to follow up)"
    )
    paid_on: datetime.date | None

    @staticmethod
    def resolve_reason_code(obj) -> str:
        return obj.eligibility.get("reason_code", "")

    @staticmethod
    def resolve_reason(obj, context) -> str:
        english = client_language(context["request"]) == "en"
        return obj.eligibility.get("reason" if english else "reason_id", "")


class ClaimIn(Schema):
    worker_id: int
    program: Literal["JKM", "JKK"]
    event: Literal[
        "death",
        "work_accident_death",
        "total_disability",
        "partial_disability",
        "temporary_incapacity",
    ]
    event_date: datetime.date
    reported_by: Literal["village", "family", "bpjs", "other"]
    place: str = Field("", max_length=200)
    cause: str = Field("", max_length=300)
    traffic_accident: bool = False
    disability_percent: float = Field(0, ge=0, lt=100)
    incapacity_days: int = Field(0, ge=0, le=3650)
    reporter_name: str = Field("", max_length=150)
    reporter_phone: str = Field("", max_length=20)
    notes: str = Field("", max_length=2000)


class BpjsReceiptIn(Schema):
    received_on: datetime.date = Field(description="BPJS received the complete file")
    bpjs_claim_number: str = Field(min_length=1, max_length=60)


class BpjsDecisionIn(Schema):
    outcome: Literal["approved", "refused", "more_documents"]
    decided_on: datetime.date
    reason: str = Field(
        "", max_length=2000, description="required when refused or documents are missing"
    )
    amounts: dict[str, Annotated[int, Field(ge=0, le=10**13)]] = Field(
        default={},
        description="approved: the amount per benefit component (its code) as BPJS computed it",
    )


class BpjsPaymentIn(Schema):
    paid_on: datetime.date
    amount: int = Field(gt=0, le=10**13)
    reference: str = Field(min_length=1, max_length=80)
    bank: str = Field(min_length=1, max_length=60)
    account_number: str = Field(min_length=1, max_length=30)
    account_holder: str = Field(min_length=1, max_length=150)
    recipient_id: int | None = Field(
        None,
        ge=1,
        le=MAX_ID,
        description="the heir paid (death benefits); none for the participant",
    )
    instalment_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="default: the cash benefit"
    )


class BpjsPaymentOut(Schema):
    id: int
    claim_id: int
    instalment_id: int
    amount: int
    paid_on: datetime.date
    reference: str
    account: str = Field(description="masked account number")
    claim_status: str


class TransitionIn(Schema):
    action: Literal["open", "dismiss", "recheck", "submit", "approve", "return"]
    note: str = Field("", max_length=2000)


class FamilyMemberIn(Schema):
    full_name: str = Field(min_length=1, max_length=150)
    relationship: Literal[
        "spouse",
        "child",
        "parent",
        "grandchild",
        "grandparent",
        "sibling",
        "parent_in_law",
        "designated",
    ]
    nik: str = Field("", max_length=20)
    birth_date: datetime.date | None = None
    alive: bool = True
    married: bool = False
    working: bool = False
    education: Literal["", "TK", "SD", "SMP", "SMA", "PT"] = ""
    school_class: int | None = Field(None, ge=1, le=6)  # the class within the level now
    phone: str = Field("", max_length=20)


class FamilyMemberOut(Schema):
    id: int
    full_name: str
    relationship: str
    nik: str
    alive: bool
    is_heir: bool


class DocumentForm(Schema):
    kind: Literal[DOCUMENT_KINDS]


class DocumentOut(Schema):
    id: int
    kind: str
    original_name: str
    content_type: str
    size: int
    verified: bool
    kinds: list[str] = Field(description="every document type the file serves, its main first")


class WorkerSearchIn(Schema):
    nik: str = Field(max_length=32, description="a full NIK (16 digits)")


class CoverageIn(Schema):
    nik: str = Field(max_length=32, description="the NIK to look up (16 digits)")


class CoverageOut(Schema):
    nik: str = Field(description="masked")
    covered: bool
    programs: list[str]
    covered_until: datetime.date | None
    kpj: str = Field(description="last four digits of the KPJ number")


class SummaryOut(Schema):
    workers: int
    covered: int
    covered_on: datetime.date | None = Field(
        None, description="The day `covered` counts protection on (null before the first count)."
    )
    claims_reported: int
    claims_paid: int
    benefits_paid: int


class TokenIn(Schema):
    name: str = Field(min_length=1, max_length=80)
    days: int = Field(90, ge=1, le=365)


class TokenOut(Schema):
    id: int
    name: str
    token_id: str
    created_at: datetime.datetime
    expires_at: datetime.datetime
    last_used_at: datetime.datetime | None
    revoked: bool


class NewTokenOut(TokenOut):
    token: str = Field(description="shown once; store it in the client's secret store")
