from odoo import api, fields, models


class ObjectStorageGcMark(models.Model):
    """An object the garbage collector must look at.

    Marks are written on a cursor of their own, committed at once, so that the
    objects uploaded by a transaction that rolls back are still collected.
    """

    _name = "object.storage.gc.mark"
    _description = "Object storage garbage collection mark"
    _log_access = False

    location = fields.Char(required=True, index=True)
    marked_at = fields.Datetime(required=True, index=True)

    @api.model
    def _mark(self, locations):
        """Record ``locations`` for the GC, outside the current transaction.

        Private: a mark written over RPC would have the GC delete an object
        that another database sharing the bucket still uses.
        """
        if not locations:
            return
        with self.env.registry.cursor() as cr:
            cr.execute(
                "INSERT INTO object_storage_gc_mark (location, marked_at) "
                "SELECT unnest(%s), now() AT TIME ZONE 'UTC'",
                [list(locations)],
            )
