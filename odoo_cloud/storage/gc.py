"""Which marked objects the garbage collector may delete.

Objects are never deleted inside a transaction: the attachment code marks
every location it writes or stops using, and the collector later deletes the
marked objects that no committed attachment references. It deletes only in
the store the database writes to, so that a production database restored on
integration can read production objects but never delete them.
"""

from typing import NamedTuple

from .base import Location


class Collection(NamedTuple):
    delete: list  # Locations of unreferenced objects in the write store
    foreign: list  # marks outside the write store: dropped, never deleted


def plan_collection(marked, referenced, write_scheme, write_bucket):
    """Split ``marked`` locations (strings) into what to delete and what to
    leave alone; ``referenced`` holds the locations committed rows still use."""
    collection = Collection([], [])
    for value in marked:
        location = Location.parse(value)
        if location is None or value in referenced:
            continue
        if (location.scheme, location.bucket) == (write_scheme, write_bucket):
            collection.delete.append(location)
        else:
            collection.foreign.append(location)
    return collection
