"""Extension points of the registry, for apps above it (the registry imports none of them)."""

from django.dispatch import Signal

# Sent by the worker page with ``worker``, ``user``, ``personal`` (may the user see personal data)
# and ``today``; each receiver returns an HTML section to show on the page, or None. Coverage
# (finance) answers here, so the registry needs no import of enrolment or finance.
worker_page_sections = Signal()

# Sent inside the transaction that moves ``worker`` to another kabupaten (an accepted transfer
# request), before the move, with ``user``, ``today`` and ``last_day`` (the end of this month: the
# last day the old region pays for). Enrolment ends the open enrolment there.
worker_moved = Signal()
