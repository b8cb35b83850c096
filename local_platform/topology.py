"""The production topology, in small, with every redundant part that can fail:
PostgreSQL, sessions in a Sentinel group (master, replica, three sentinels),
attachments in a Swift all-in-one through its S3 API, and three Odoo
instances (prefork, two workers, each with an empty data directory of its
own) behind HAProxy.

``make run`` serves one Redis and two instances, to try the platform;
this is the one a failover run (``bench/failover.py``,
``tests/odoo/test_failover.py``) breaks piece by piece while users work.
"""

import contextlib
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from . import in_odoo
from .errors import ServerFailed
from .haproxy_server import HAProxy
from .odoo_server import OdooInstance
from .postgres_server import run_postgres
from .process import running
from .redis_server import SentinelGroup
from .serve import odoo_instance
from .swift_server import run_swift

REPO = Path(__file__).resolve().parents[1]
# Those of make run but mail: its chatter is not exercised, and installing it
# takes longer than the run itself.
MODULES = ("web", "base_attachment_object_storage", "attachment_s3", "cloud_platform")
INSTANCES = 3


@dataclass
class Platform:
    """What a run needs to reach, break and check each part."""

    postgres: object
    sentinel: SentinelGroup
    swift: object
    instances: list
    proxy: HAProxy
    database: str
    bucket: str
    env: dict = field(repr=False)

    @property
    def url(self):
        return self.proxy.url


def odoo_environ(group, swift, prefix, bucket):
    """The suite's variables: sessions through the sentinels, attachments in
    the S3 API of Swift, JSON logs."""
    sentinels = ",".join(f"{host}:{port}" for host, port in group.sentinels)
    return {
        "RUNNING_ENV": "dev",
        "ODOO_SESSION_REDIS": "1",
        "ODOO_SESSION_REDIS_SENTINEL_HOST": sentinels,
        "ODOO_SESSION_REDIS_SENTINEL_MASTER_NAME": group.master_name,
        "ODOO_SESSION_REDIS_PREFIX": prefix,
        "ODOO_LOGGING_JSON": "1",
        **swift.s3_environ(AWS_BUCKETNAME=bucket),
        "PYTHONPATH": str(REPO),
    }


def install(instance, database, env, template=None):
    """``database`` with :data:`MODULES`, its attachments moved to the object
    store by ``cloud_platform.install()`` as ``make run`` does."""
    instance.install(database, MODULES, template=template, env=env)
    location = instance.call(database, in_odoo.install_storage, env=env)
    if location != "s3":
        raise ServerFailed(f"cloud_platform put the attachments in {location}")
    return database


@contextlib.contextmanager
def run_platform(
    tree, base_dir, postgres=None, installer=None, template=None, instances=INSTANCES
):
    """The whole topology under ``base_dir``, stopped on exit.

    ``postgres`` is a running cluster to use (a new one by default);
    ``template`` a database of ``installer`` (an :class:`OdooInstance` on
    ``postgres``, whose data directory holds its files) to copy before
    installing :data:`MODULES`.
    """
    base_dir = Path(base_dir)
    suffix = tree.series.replace(".", "_")
    # `<project>-odoo-<env>`, as cloud_platform expects.
    bucket = prefix = f"failover{suffix.replace('_', '')}-odoo-dev"
    database = f"failover_{suffix}_{uuid.uuid4().hex[:6]}"
    with contextlib.ExitStack() as stack:
        if postgres is None:
            postgres = stack.enter_context(run_postgres(base_dir))
        group = stack.enter_context(running(SentinelGroup(base_dir)))
        swift = stack.enter_context(run_swift(base_dir / "swift"))
        env = odoo_environ(group, swift, prefix, bucket)
        installer = installer or OdooInstance(tree, postgres, base_dir / "install")
        install(installer, database, env, template)
        servers = []
        for number in range(1, instances + 1):
            server = odoo_instance(
                tree,
                postgres,
                env,
                database,
                data_dir=base_dir / f"odoo-{number}",
                log_path=base_dir / f"odoo-{number}.log",
            )
            stack.callback(server.stop)
            servers.append(server.start())
        proxy = HAProxy(base_dir, [(odoo.port, odoo.gevent_port) for odoo in servers])
        stack.enter_context(running(proxy))
        yield Platform(postgres, group, swift, servers, proxy, database, bucket, env)
