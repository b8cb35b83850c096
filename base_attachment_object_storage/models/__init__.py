from . import (
    ir_attachment,
    ir_attachment_download,
    ir_attachment_gc,
    ir_attachment_migration,
    ir_attachment_ownership,
    ir_http,
    object_storage_gc_mark,
)
