"""Stores of every backend on the test servers, each in a new bucket.

The integration tests of the S3, Swift and Azure stores share their
scenarios: a scenario names the backend it runs on, and gets its store here.
"""

import contextlib
import uuid
from urllib.parse import urlsplit

from local_platform.cutting_proxy import CuttingProxy
from odoo_cloud.config import load
from odoo_cloud.storage import BACKENDS as STORE_BACKENDS
from odoo_cloud.storage import StorageError, StorageUnavailable, Stores

# S3 through Swift's s3api and through moto's server; Swift through its own
# API; Azure on Azurite.
BACKENDS = ("s3-swift-s3api", "s3-moto-server", "swift", "azure")


def moto_environ(moto_server, **extra):
    """The suite's ``AWS_*`` variables for moto's server."""
    return {
        "AWS_HOST": moto_server.endpoint_url,
        "AWS_ACCESS_KEY_ID": moto_server.access_key_id,
        "AWS_SECRET_ACCESS_KEY": moto_server.secret_access_key,
        "AWS_REGION": moto_server.region,
        "AWS_ADDRESSING_STYLE": "path",
        "AWS_MAX_ATTEMPTS": "1",
        **extra,
    }


def backend_environ(request, backend, **extra):
    """The variables reaching ``backend``, its server taken from the fixtures
    of ``request``; requests fail at once instead of being retried."""
    if backend == "s3-moto-server":
        return moto_environ(request.getfixturevalue("moto_server"), **extra)
    if backend == "azure":
        return request.getfixturevalue("azurite").environ(**extra)
    swift = request.getfixturevalue("swift")
    if backend == "swift":
        return swift.swift_environ(**extra)
    return swift.s3_environ(AWS_MAX_ATTEMPTS="1", **extra)


def new_store(environ, scheme):
    """A store of ``scheme`` in a bucket no other test uses."""
    return Stores(load(environ)).get(scheme, f"test-{uuid.uuid4().hex[:12]}")


def backend_store(request, backend, **extra):
    """A store of ``backend`` in a new bucket (see :func:`backend_environ`)."""
    scheme = backend.split("-", 1)[0]
    return new_store(backend_environ(request, backend, **extra), scheme)


def name_verdicts(environ, scheme, names):
    """For each bucket name, whether the server stores an object in a bucket
    of that name and whether the backend's name rule accepts it: a pair of
    dicts that must be equal."""
    stores = Stores(load(environ))
    served, ruled = {}, {}
    for name in names:
        try:
            stores.get(scheme, name).put("ab/one", b"named")
        except StorageUnavailable:
            raise
        except StorageError:
            served[name] = False
        else:
            served[name] = True
        ruled[name] = STORE_BACKENDS[scheme].bucket_name_problem(name) is None
    return served, ruled


# The variable holding the address each backend is reached at.
ENDPOINT_VARIABLES = {
    "s3": "AWS_HOST",
    "swift": "SWIFT_AUTH_URL",
    "azure": "AZURE_STORAGE_ACCOUNT_URL",
}


@contextlib.contextmanager
def cutting_proxy_for(environ, scheme):
    """A :class:`CuttingProxy` in front of the server of ``environ`` (the
    variables of backend ``scheme``), and those variables pointing at it."""
    variable = ENDPOINT_VARIABLES[scheme]
    endpoint = urlsplit(environ[variable])
    with CuttingProxy((endpoint.hostname, endpoint.port)) as proxy:
        through = endpoint._replace(netloc=f"{proxy.host}:{proxy.port}").geturl()
        yield proxy, {**environ, variable: through}
