"""The API-token page: a signed-in user mints tokens for machine clients (never a token itself)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from jaring.api import services as api_services

# --- API tokens -------------------------------------------------------------------------------


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=80, help_text=_("The application that will use it.")
    )
    days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, max_value=365, initial=90)


@login_required
def api_tokens(request):
    """A user's tokens for machine clients: create one (shown once), see when it was used,
    revoke it."""
    form = TokenForm(request.POST or None)
    new_token = None
    if request.method == "POST" and request.POST.get("revoke"):
        token = request.user.api_tokens.filter(pk=request.POST["revoke"]).first()
        if token is None:
            raise PermissionDenied
        api_services.revoke_token(token)
        messages.success(request, _("Token revoked."))
        return redirect("api_tokens")
    if request.method == "POST" and form.is_valid():
        _row, new_token = api_services.issue_token(
            request.user, form.cleaned_data["name"], form.cleaned_data["days"]
        )
        form = TokenForm()
    return render(
        request,
        "api/api_tokens.html",
        {"form": form, "new_token": new_token, "tokens": request.user.api_tokens.all()},
    )
