"""The two screens every kind of reference data has, shared by the apps that own the data:
a list of the rows the user may edit with a form to add one, and a row's edit form with its
history. Views of the owning apps pass their scoped queryset and their form."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jaring.core.history import entries
from jaring.reference.selectors import regions_for_editing
from jaring.reference.services import save_reference


class ReferenceForm(forms.ModelForm):
    """A reference row's form: its ``region`` limited to where the user may edit, and the
    reason for the change kept in the history."""

    region_levels: tuple = ()  # empty: the regions of the scope at province and regency level

    reason = forms.CharField(
        label=gettext_lazy("Reason for the change"), max_length=100, required=False
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if "region" in self.fields:
            levels = self.region_levels or (1, 2)
            self.fields["region"].queryset = regions_for_editing(user, levels)
            # A row stays in its region: other data (allocations, documents) is filed there.
            self.fields["region"].disabled = self.instance.pk is not None


def _save(request, form) -> bool:
    if not form.is_valid():
        return False
    try:
        save_reference(form.save(commit=False), request.user, form.cleaned_data.get("reason", ""))
    except ValidationError as exc:
        form.add_error(None, exc)
        return False
    messages.success(request, _("Saved. The change is in the history."))
    return True


def list_page(
    request,
    *,
    title: str,
    intro: str,
    rows: Iterable,
    headers: list[str],
    cells: Callable[[object], list],
    link: Callable[[object], str],
    form: forms.Form | None,
):
    """Rows the user may edit (each linking to its edit page) and a form to add one."""
    if request.method == "POST" and form is not None and _save(request, form):
        return redirect(request.path)
    return render(
        request,
        "reference/list.html",
        {
            "title": title,
            "intro": intro,
            "headers": headers,
            "rows": [(link(row), cells(row)) for row in rows],
            "form": form,
        },
    )


def edit_page(request, instance, form: forms.Form | None, *, title: str, back: str):
    """One row: its form (None: read-only for this user) and its history, newest first."""
    if request.method == "POST" and form is not None and _save(request, form):
        return redirect(request.path)
    return render(
        request,
        "reference/edit.html",
        {
            "title": title,
            "object": instance,
            "form": form,
            "back": back,
            "history": entries(instance),
        },
    )
