"""What the claim pages share: a form's service call whose refusals become messages."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect


def fail(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def apply_form(request, claim, form, action, invalid: str, done: str = ""):
    """Run a service with a valid form's data; any refusal becomes a message on the claim."""
    if not form.is_valid():
        messages.error(request, invalid)
    else:
        try:
            action(form.cleaned_data)
        except ValidationError as exc:
            fail(request, exc)
        else:
            if done:
                messages.success(request, done)
    return redirect("claims:detail", claim.pk)
