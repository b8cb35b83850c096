"""The object store backends of the suite, each listed once by its descriptor.

A test may add one for a while (``monkeypatch.setitem(BACKENDS, ...)``):
everything that reads backends reads this mapping when it runs.
"""

from . import azure, s3, swift

BACKENDS = {
    backend.scheme: backend for backend in (s3.BACKEND, swift.BACKEND, azure.BACKEND)
}
