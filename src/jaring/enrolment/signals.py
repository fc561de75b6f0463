"""Extension points of enrolment, for apps above it (enrolment imports none of them)."""

from django.dispatch import Signal

# Sent inside the transaction that ended (or cancelled) ``enrolment``, with ``user``: its months
# after ``enrolment.end_month`` (all of them when cancelled) are no longer owed. Finance credits
# whatever was already billed for them.
enrolment_ended = Signal()
