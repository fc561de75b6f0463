import io

import xlsxwriter
from django import forms
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jaring.accounts import selectors, totp
from jaring.accounts.models import PersonalDataAccess, User
from jaring.accounts.rules import Capability
from jaring.accounts.scoping import require
from jaring.accounts.services import log_personal_access
from jaring.accounts.signals import home_sections
from jaring.core.middleware import personal_data
from jaring.core.spreadsheets import (
    IDENTIFIER,
    LONG_TEXT,
    TEXT,
    XLSX_CONTENT_TYPE,
    Column,
    TableSheet,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AccessLogFilter(forms.Form):
    username = forms.CharField(label=_("User name"), required=False, max_length=150)
    claim = forms.CharField(label=_("Claim number"), required=False, max_length=40)
    action = forms.ChoiceField(
        label=_("Action"),
        required=False,
        choices=[("", _("All")), *PersonalDataAccess.Action.choices],
    )
    since = forms.DateField(label=_("From"), required=False, widget=DATE)
    until = forms.DateField(label=_("Until"), required=False, widget=DATE)
    # Set by the NIK search (a POST): the worker ids its blind index found, never the NIK.
    worker = forms.CharField(required=False, widget=forms.HiddenInput, max_length=200)

    def clean_worker(self):
        value = self.cleaned_data["worker"]
        if not value:
            return None
        if not all(part.isdigit() for part in value.split(",")):
            raise forms.ValidationError(_("Not a worker."))
        return [int(part) for part in value.split(",")]


class PersonSearch(forms.Form):
    nik = forms.CharField(
        label=_("NIK of the person (16 digits)"),
        min_length=16,
        max_length=16,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )


@login_required
@personal_data  # users' names and addresses, and whose records they read
def access_log(request):
    """Who read or exported personal data, about whom, when, from where and why: for auditors,
    with an Excel export. A NIK is searched by POST (never in the address) and becomes the ids
    of the workers it belongs to."""
    require(request.user, Capability.VIEW_AUDIT_LOG)
    person = PersonSearch(request.POST or None)
    if request.method == "POST" and person.is_valid():
        found = selectors.objects_about(nik=person.cleaned_data["nik"], user=request.user)
        workers = sorted({pk for kind, ids in found if kind == "worker" for pk in ids})
        # A NIK search is itself a read of personal data (whether that person is registered).
        log_personal_access(
            request.user,
            PersonalDataAccess.Action.SEARCH_NIK,
            "worker",
            ",".join(map(str, workers)),
            reason="access log: who read this person's data",
            request=request,
        )
        if workers:
            return redirect(f"{request.path}?worker={','.join(map(str, workers))}")
        person.add_error("nik", _("No worker with this NIK."))
    form = AccessLogFilter(request.GET or None)
    filters = (
        {**form.cleaned_data, "workers": form.cleaned_data["worker"]} if form.is_valid() else {}
    )
    rows = selectors.access_log_for(request.user, filters)
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(_access_log_xlsx(rows), content_type=XLSX_CONTENT_TYPE)
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="log-akses-{stamp}.xlsx"'
        return response
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    page.object_list = selectors.describe_reads(request.user, page.object_list)
    return render(
        request,
        "accounts/access_log.html",
        {
            "form": form,
            "person": person,
            "page": page,
            "by_person": filters.get("workers"),
        },
    )


ACCESS_LOG_COLUMNS = [
    Column("Waktu", TEXT, 20),
    Column("Pengguna", TEXT, 18),
    Column("Tindakan", TEXT, 28),
    Column("Objek", TEXT, 16),
    Column("ID", IDENTIFIER, 16),
    Column("Wilayah", IDENTIFIER, 16),
    Column("Alasan", LONG_TEXT, 40),
    Column("Alamat IP", IDENTIFIER, 16),
]


def _access_log_xlsx(rows) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    table = TableSheet(book, "Log akses data pribadi", ACCESS_LOG_COLUMNS)
    for entry in rows.iterator(chunk_size=2000):
        table.add(
            [
                timezone.localtime(entry.at).strftime("%Y-%m-%d %H:%M:%S"),
                entry.user.username,
                entry.get_action_display(),
                entry.object_type,
                entry.object_id,
                entry.region_code,
                entry.reason,
                entry.ip_address or "",
            ]
        )
    book.close()
    return buffer.getvalue()


# --- Login with an optional second factor ---------------------------------------------------

PENDING = "jaring_pending_login"


class LoginView(auth_views.LoginView):
    """Password first; users with a second factor then give a code before they are logged in."""

    template_name = "accounts/login.html"

    def form_valid(self, form):
        user = form.get_user()
        if user.totp_enabled_at is None:
            return super().form_valid(form)
        self.request.session[PENDING] = {
            "user": user.pk,
            "backend": user.backend,
            "next": self.get_success_url(),
        }
        return redirect("login_code")


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the authenticator app"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class DisableForm(CodeForm):
    password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    field_order = ["password", "code"]


def login_code(request):
    """The login's second step. Wrong codes count towards the login lockout (django-axes), which
    then answers with its page and ends the pending login."""
    pending = request.session.get(PENDING)
    if not pending:
        return redirect("login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = User.objects.get(pk=pending["user"])
        if totp.code_accepted(request, user, form.cleaned_data["code"]):
            del request.session[PENDING]
            auth_login(request, user, backend=pending["backend"])
            return redirect(pending["next"])
        if getattr(request, "axes_locked_out", False):
            del request.session[PENDING]
        form.add_error("code", _("The code is wrong or already used."))
    return render(request, "accounts/login_code.html", {"form": form})


@login_required
def second_factor(request):
    """Switch the second factor on (scan, then prove with a code) or off (password and code)."""
    if not totp.may_use_second_factor(request.user):
        raise PermissionDenied
    if request.user.totp_enabled_at is not None:
        return _second_factor_on(request)
    form = CodeForm(request.POST or None)
    secret = request.session.get("jaring_totp_setup") or totp.new_secret()
    request.session["jaring_totp_setup"] = secret
    if request.method == "POST" and form.is_valid():
        if totp.enable(request.user, secret, form.cleaned_data["code"]):
            del request.session["jaring_totp_setup"]
            messages.success(request, _("Second factor switched on."))
            return redirect("second_factor")
        form.add_error("code", _("The code is wrong or already used."))
    return render(
        request,
        "accounts/second_factor.html",
        {
            "form": form,
            "enabled": False,
            "secret": secret,
            "qr": totp.provisioning_svg(request.user, secret),
        },
    )


def _second_factor_on(request):
    form = DisableForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if totp.disable(request, request.user, data["password"], data["code"]):
            messages.success(request, _("Second factor switched off."))
            return redirect("second_factor")
        form.add_error(None, _("The password or the code is wrong."))
    return render(request, "accounts/second_factor.html", {"form": form, "enabled": True})


def home(request):
    """The landing page for visitors; for a signed-in user, its roles and where they lead."""
    if not request.user.is_authenticated:
        return render(request, "core/landing.html")
    answers = home_sections.send(
        sender=type(request.user), user=request.user, today=timezone.localdate()
    )
    return render(
        request,
        "core/home.html",
        {
            "assignments": selectors.role_assignments_of(request.user),
            "sections": [html for _receiver, html in answers if html],
        },
    )
