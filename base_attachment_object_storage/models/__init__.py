from . import ir_attachment, object_storage_gc_mark
