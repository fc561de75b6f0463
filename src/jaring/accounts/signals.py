"""Extension points of the accounts app, for apps above it (accounts imports none of them)."""

from django.dispatch import Signal

# Sent by the home page with ``user`` and ``today``; each receiver returns an HTML section for
# that user (its work waiting, …) or None. Claims answers with the claims officer's queue.
home_sections = Signal()
