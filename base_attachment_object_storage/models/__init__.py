from . import ir_attachment, ir_http, object_storage_gc_mark
