"""Extension points of the accounts app, for apps above it (accounts imports none of them)."""

from dataclasses import dataclass

from django.dispatch import Signal

# Sent by the home page with ``user`` and ``today``; each receiver returns an HTML section for
# that user (its work waiting, …) or None. Claims answers with the claims officer's queue.
home_sections = Signal()

# The personal-data access log asks the apps that own the objects read (accounts knows none):
#
# ``read_objects`` — sent with ``viewer`` and ``keys``, a set of (object_type, object_id) of log
# rows; each receiver returns {key: ReadObject} for the object types it owns.
read_objects = Signal()
# ``objects_named`` — sent with ``nik`` (exact, matched by its blind index), ``workers`` (ids) or
# ``claim`` (a claim number); each receiver returns [(object_type, ids)] of its objects about
# that person or claim, which the log's filter matches.
objects_named = Signal()


@dataclass(frozen=True)
class ReadObject:
    """Whose data a logged read was about, masked as the viewer's rights allow, and its page."""

    person: str
    url: str
    worker_id: int | None = None


def answers(signal: Signal, **kwargs) -> list:
    return [answer for _receiver, answer in signal.send(sender=None, **kwargs) if answer]
