"""Roles and what each may do: pure data, no database.

A role never grants anything outside the region it is assigned for; that part is the scope
(``jaring.accounts.scoping``). This module only says *what* a role may do.
"""

from enum import StrEnum


class Capability(StrEnum):
    VIEW_REGIONS = "regions.view"
    VIEW_REPORTS = "reports.view"
    VIEW_REGISTRY = "registry.view"
    VIEW_PERSONAL_DATA = "registry.view_personal"
    MANAGE_REGISTRY = "registry.manage"
    # Decide what crosses regions: a worker's move (transfer request) and a duplicate case
    # whose two records live in two kabupaten (each side's admin decides for its side).
    DECIDE_TRANSFERS = "registry.decide_transfers"
    MANAGE_ENROLMENT = "enrolment.manage"
    RECORD_KPJ = "enrolment.record_kpj"
    MANAGE_FINANCE = "finance.manage"
    PREPARE_CLAIMS = "claims.prepare"
    APPROVE_CLAIMS = "claims.approve"
    # BPJS's side of a claim: receipt of the file, the decision, the amounts and the payment.
    RECORD_BPJS_CLAIMS = "claims.bpjs"
    VIEW_AUDIT_LOG = "audit.view"
    MANAGE_USERS = "users.manage"
    # Edit the region's reference data (funding sources, branch file layouts, letterhead and
    # signatories, PLKK list, workforce estimate); national reference data is the superuser's.
    MANAGE_REFERENCE = "reference.manage"


class RoleCode(StrEnum):
    NATIONAL_VIEWER = "national_viewer"
    PROVINCIAL_ADMIN = "provincial_admin"
    REGENCY_ADMIN = "regency_admin"
    OPERATOR = "operator"
    FINANCE_OFFICER = "finance_officer"
    CLAIMS_OFFICER = "claims_officer"
    CLAIMS_SUPERVISOR = "claims_supervisor"
    BPJS_OFFICER = "bpjs_officer"
    AUDITOR = "auditor"


_BASE = {Capability.VIEW_REGIONS, Capability.VIEW_REPORTS}

ROLE_CAPABILITIES: dict[RoleCode, frozenset[Capability]] = {
    RoleCode.NATIONAL_VIEWER: frozenset(_BASE),
    RoleCode.PROVINCIAL_ADMIN: frozenset(
        _BASE | {Capability.VIEW_REGISTRY, Capability.MANAGE_USERS, Capability.MANAGE_REFERENCE}
    ),
    RoleCode.REGENCY_ADMIN: frozenset(
        _BASE
        | {
            Capability.VIEW_REGISTRY,
            Capability.VIEW_PERSONAL_DATA,
            Capability.MANAGE_USERS,
            Capability.DECIDE_TRANSFERS,
            Capability.MANAGE_REFERENCE,
        }
    ),
    RoleCode.OPERATOR: frozenset(
        _BASE
        | {
            Capability.VIEW_REGISTRY,
            Capability.VIEW_PERSONAL_DATA,
            Capability.MANAGE_REGISTRY,
            Capability.MANAGE_ENROLMENT,
        }
    ),
    RoleCode.FINANCE_OFFICER: frozenset(
        _BASE | {Capability.VIEW_REGISTRY, Capability.MANAGE_FINANCE}
    ),
    RoleCode.CLAIMS_OFFICER: frozenset(
        _BASE | {Capability.VIEW_REGISTRY, Capability.VIEW_PERSONAL_DATA, Capability.PREPARE_CLAIMS}
    ),
    # The checker on the Pemda side: checks the file a claims officer prepared before it goes to
    # BPJS, never prepares.
    RoleCode.CLAIMS_SUPERVISOR: frozenset(
        _BASE | {Capability.VIEW_REGISTRY, Capability.VIEW_PERSONAL_DATA, Capability.APPROVE_CLAIMS}
    ),
    RoleCode.BPJS_OFFICER: frozenset(
        {
            Capability.VIEW_REGIONS,
            Capability.VIEW_REGISTRY,
            Capability.VIEW_PERSONAL_DATA,
            Capability.RECORD_KPJ,
            Capability.RECORD_BPJS_CLAIMS,
        }
    ),
    RoleCode.AUDITOR: frozenset(_BASE | {Capability.VIEW_REGISTRY, Capability.VIEW_AUDIT_LOG}),
}

# Which roles a role may grant (within the region it holds that role for). Nobody grants the
# national viewer, the provincial administrator or the auditor except a superuser, and no role
# grants itself: a regency admin cannot make another regency admin.
_REGIONAL_STAFF = frozenset(
    {
        RoleCode.OPERATOR,
        RoleCode.FINANCE_OFFICER,
        RoleCode.CLAIMS_OFFICER,
        RoleCode.CLAIMS_SUPERVISOR,
        RoleCode.BPJS_OFFICER,
    }
)
GRANTABLE_ROLES: dict[RoleCode, frozenset[RoleCode]] = {
    RoleCode.PROVINCIAL_ADMIN: _REGIONAL_STAFF | {RoleCode.REGENCY_ADMIN},
    RoleCode.REGENCY_ADMIN: _REGIONAL_STAFF,
}

# The region level a role must be assigned at; None means any level. The national viewer is the
# only role whose scope is the whole country (no region code).
REQUIRED_SCOPE_LEVEL: dict[RoleCode, int | None] = {
    RoleCode.NATIONAL_VIEWER: 0,
    RoleCode.PROVINCIAL_ADMIN: 1,
    RoleCode.REGENCY_ADMIN: 2,
}


def capabilities_of(roles: set[RoleCode] | frozenset[RoleCode]) -> frozenset[Capability]:
    granted: set[Capability] = set()
    for role in roles:
        granted |= ROLE_CAPABILITIES[role]
    return frozenset(granted)


def grantable_by(roles: set[RoleCode] | frozenset[RoleCode]) -> frozenset[RoleCode]:
    """The roles a holder of ``roles`` may grant (somewhere: the scope says where)."""
    granted: set[RoleCode] = set()
    for role in roles:
        granted |= GRANTABLE_ROLES.get(role, frozenset())
    return frozenset(granted)


def scope_level_error(role: RoleCode, region_level: int | None) -> str | None:
    """Why a role cannot be assigned at this level (``None`` level = national), or None."""
    required = REQUIRED_SCOPE_LEVEL.get(role)
    actual = region_level or 0
    if required is None:
        return None if actual else "national scope is reserved for the national viewer"
    if actual != required:
        return f"{role.value} must be assigned at level {required}, not {actual}"
    return None
