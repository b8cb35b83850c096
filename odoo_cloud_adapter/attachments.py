"""Odoo's attachment storage hooks (``ir.attachment``), where their
signatures differ between series.

``_file_read`` reads a file of the filestore: 18.0's takes its name, 19.0's
also the number of bytes to read (``size``), which only 19.0 passes.

The other hooks ``base_attachment_object_storage`` overrides (``_storage``,
``_get_storage_domain``, ``_get_path``, ``_file_write``, ``_file_delete``,
``_get_datas_related_values``, ``_to_http_stream``) take the same arguments
on every series; where they are called differs (19.0 calls ``_file_write``
once the rows are written, for every content), which the overrides handle
the same way on all of them.
"""


def read_file(file_read, fname, size=None):
    """What Odoo's ``_file_read`` (``file_read``) reads of ``fname``: its
    first ``size`` bytes, or all of it; ``size`` is passed on only when
    given, as a series whose ``_file_read`` does not take it never gives
    one."""
    if size is None:
        return file_read(fname)
    return file_read(fname, size)
