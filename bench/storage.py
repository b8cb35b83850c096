"""What object storage costs, against baselines measured in the same run.

1. upload and download throughput through ``ObjectStore`` vs the raw client
   on the same Swift all-in-one: S3Store vs boto3 through s3api, SwiftStore
   vs python-swiftclient (target ratio >= 0.9 each); then SwiftStore's large
   objects (segments) vs raw python-swiftclient uploading single objects;
2. migration rate (files/s) of 2,000 small files with the default
   concurrency vs one at a time (target >= 5x);
3. with ``ODOO_SRC``: peak memory of the Odoo worker serving a 200 MB
   attachment, above its idle size (target < 64 MB);
4. with ``ODOO_SRC``: the bytes Odoo sends and the CPU time it spends for a
   100 MB download, streamed by Odoo and offloaded to the store
   (``ATTACHMENT_STORAGE_REDIRECT=signed-url``).

Every server is started here (``local_platform``) and stopped at the end.
Figures are printed, never asserted. Run:
``ODOO_SRC=/path/to/odoo .venv/bin/python -m bench.storage``.
"""

import hashlib
import os
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import NamedTuple

import psutil

from local_platform.odoo_server import OdooInstance, OdooServer
from local_platform.postgres_server import run_postgres
from local_platform.swift_server import run_swift
from odoo_cloud.config import load
from odoo_cloud.storage import READ_SIZE, Stores
from odoo_cloud.storage.migration import Item, Migration, upload_to

from . import in_odoo
from .measure import best_of, line, odoo_tree

MB = 1024 * 1024
OBJECT_SIZE = 8 * MB
OBJECTS = 8
LARGE_OBJECT_SIZE = 64 * MB
LARGE_OBJECTS = 2
SEGMENT_SIZE = 16 * MB
ROUNDS = 3
SMALL_FILES = 2000
DOWNLOAD_SIZE = 200 * MB
OFFLOADED_SIZE = 100 * MB


class RawClient(NamedTuple):
    """The backend's own client, without the suite: the baseline."""

    put: object  # (key, data)
    get: object  # key -> bytes


def raw_s3(swift):
    client, bucket = swift.s3_client(), f"bench-raw-{uuid.uuid4().hex[:8]}"
    client.create_bucket(Bucket=bucket)
    return RawClient(
        lambda key, data: client.put_object(Bucket=bucket, Key=key, Body=data),
        lambda key: client.get_object(Bucket=bucket, Key=key)["Body"].read(),
    )


def raw_swift(swift):
    client, container = swift.swift_client(), f"bench-raw-{uuid.uuid4().hex[:8]}"
    client.put_container(container)
    return RawClient(
        lambda key, data: client.put_object(container, key, data),
        lambda key: client.get_object(container, key)[1],
    )


def throughput(title, raw, store, size, count):
    """MB/s of the same puts and gets through ``raw`` and ``store``, the
    measures alternating round by round (``best_of``)."""
    data, keys = os.urandom(size), [f"bench/{index}" for index in range(count)]
    store.put("warm-up", b"creates the bucket")

    def megabytes_per_second(action):
        def measure():
            start = time.perf_counter()
            for key in keys:
                action(key)
            return count * size / MB / (time.perf_counter() - start)

        return measure

    def streamed_get(key):
        with store.reader(key, size) as reader:
            while reader.read(READ_SIZE):
                pass

    puts = best_of({
        "raw": megabytes_per_second(lambda key: raw.put(key, data)),
        "store": megabytes_per_second(lambda key: store.put(key, data)),
    }, ROUNDS)  # fmt: skip
    gets = best_of({
        "raw": megabytes_per_second(raw.get),
        "store": megabytes_per_second(store.get),
        "streamed": megabytes_per_second(streamed_get),
    }, ROUNDS)  # fmt: skip
    print(f"{title}: {count} objects of {size // MB} MB")
    line("raw put (baseline)", puts["raw"], unit="MB/s")
    line(f"{type(store).__name__}.put", puts["store"], puts["raw"], unit="MB/s")
    line("raw get (baseline)", gets["raw"], unit="MB/s")
    line(f"{type(store).__name__}.get", gets["store"], gets["raw"], unit="MB/s")
    line(f"{type(store).__name__}.reader (streamed)", gets["streamed"],
         gets["raw"], unit="MB/s")  # fmt: skip


def compare_throughputs(swift):
    bucket = f"bench-{uuid.uuid4().hex[:8]}"
    s3 = Stores(load(swift.s3_environ())).get("s3", bucket)
    throughput("S3 (Swift s3api) vs raw boto3", raw_s3(swift), s3,
               OBJECT_SIZE, OBJECTS)  # fmt: skip
    stores = Stores(load(swift.swift_environ()))
    throughput("Swift vs raw python-swiftclient", raw_swift(swift),
               stores.get("swift", bucket), OBJECT_SIZE, OBJECTS)  # fmt: skip
    segmented = Stores(load(swift.swift_environ(
        SWIFT_LARGE_OBJECT_SIZE=str(SEGMENT_SIZE),
        SWIFT_SEGMENT_SIZE=str(SEGMENT_SIZE),
    ))).get("swift", f"{bucket}-large")  # fmt: skip
    throughput(
        f"Swift large objects ({SEGMENT_SIZE // MB} MB segments) vs raw "
        "python-swiftclient single objects",
        raw_swift(swift), segmented, LARGE_OBJECT_SIZE, LARGE_OBJECTS,
    )  # fmt: skip


def migration_rate(swift, base, concurrency):
    files = base / f"files-{concurrency}"
    files.mkdir()
    items = []
    for index in range(SMALL_FILES):
        data = f"small file {index} {uuid.uuid4()}".encode() * 20
        path = files / str(index)
        path.write_bytes(data)
        checksum = hashlib.sha1(data).hexdigest()  # noqa: S324 - Odoo's checksum
        items.append(Item(index, checksum, path.read_bytes))
    bucket = f"bench-mig-{uuid.uuid4().hex[:8]}"
    store = Stores(load(swift.s3_environ())).get("s3", bucket)
    store.put("warm-up", b"creates the bucket")
    batches = [items[i : i + 200] for i in range(0, SMALL_FILES, 200)]
    migration = Migration(upload_to(store), lambda done: None, concurrency)
    report = migration.run(batches, SMALL_FILES)
    assert report.written == SMALL_FILES, report
    return report.rate


def download_growth(server, session, attachment_id):
    """How much the prefork worker serving the download grows, in bytes."""
    url = f"{server.url}/web/content/{attachment_id}"
    session.get(url, headers={"Range": "bytes=0-1"}, timeout=60)  # warm the route
    workers = psutil.Process(server.process.pid).children()
    idle = {worker.pid: worker.memory_info().rss for worker in workers}
    growth, done = [0], threading.Event()

    def sample():
        while not done.is_set():
            growth.append(max(w.memory_info().rss - idle[w.pid] for w in workers))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    received = 0
    with session.get(url, stream=True, timeout=300) as reply:
        for chunk in reply.iter_content(MB):
            received += len(chunk)
    done.set()
    sampler.join()
    assert received == DOWNLOAD_SIZE, received
    return max(growth)


def worker_memory(odoo, database, env, ids, base):
    """Growth of the prefork worker serving a big download: from the database
    (Odoo loads it whole: the control) and from the object store."""
    server = OdooServer(odoo, database, base / "odoo.log", 2, ("base", "web"),
                        env, ["--log-level=warn"])  # fmt: skip
    try:
        server.start()
        session = server.login()
        # The object store first: a worker keeps the memory it took, and
        # the control takes a lot.
        from_store = download_growth(server, session, ids["s3"])
        from_db = download_growth(server, session, ids["db"])
    finally:
        server.stop()
    print(f"Growth of the Odoo worker serving a {DOWNLOAD_SIZE // MB} MB attachment")
    line("stored in the database (control)", from_db / MB, unit="MB")
    line("stored in s3 (target < 64)", from_store / MB, unit="MB")


def odoo_cpu(server):
    """CPU seconds (user + system) so far of the Odoo server's processes, the
    master and its workers (psutil reads /proc)."""
    master = psutil.Process(server.process.pid)
    times = [p.cpu_times() for p in (master, *master.children(recursive=True))]
    return sum(t.user + t.system for t in times)


def download_cost(server, session, url):
    """What one download of ``url`` costs Odoo, the redirect followed: the
    body bytes Odoo sent (the store's are not counted) and its CPU seconds."""
    session.get(url, headers={"Range": "bytes=0-1"}, timeout=60)  # warm the route
    before = odoo_cpu(server)
    received = from_odoo = 0
    with session.get(url, stream=True, timeout=300) as reply:
        for chunk in reply.iter_content(MB):
            received += len(chunk)
        hops = [*reply.history, reply]
    cpu = odoo_cpu(server) - before
    assert received == OFFLOADED_SIZE, received
    for hop in hops:
        if hop.url.startswith(server.url):
            from_odoo += received if hop is reply else len(hop.content)
    return from_odoo, cpu


def offloaded_download(odoo, database, env, attachment_id, base):
    """Bytes Odoo sends and CPU its processes spend for one download of
    ``OFFLOADED_SIZE``, streamed by Odoo, then offloaded to the store."""
    redirect = {"ATTACHMENT_STORAGE_REDIRECT": "signed-url"}
    costs = {}
    for name, extra in (("streamed", {}), ("offloaded", redirect)):
        # No cron worker: its CPU would be counted with the download's.
        server = OdooServer(odoo, database, base / f"odoo-{name}.log", 2,
                            ("base", "web"), {**env, **extra},
                            ["--log-level=warn", "--max-cron-threads=0"])  # fmt: skip
        try:
            server.start()
            url = f"{server.url}/web/content/{attachment_id}"
            session = server.login()
            costs[name] = [download_cost(server, session, url) for _ in range(ROUNDS)]
        finally:
            server.stop()
    sent = {name: min(c[0] for c in rounds) for name, rounds in costs.items()}
    cpu = {name: min(c[1] for c in rounds) for name, rounds in costs.items()}
    print(f"The Odoo server's cost of a {OFFLOADED_SIZE // MB} MB download "
          f"(best of {ROUNDS})")  # fmt: skip
    line("body sent by Odoo, streamed (baseline)", sent["streamed"], unit="bytes")
    line("body sent by Odoo, offloaded", sent["offloaded"], sent["streamed"],
         unit="bytes")  # fmt: skip
    line("CPU user+sys, streamed (baseline)", cpu["streamed"] * 1000, unit="ms")
    line("CPU user+sys, offloaded", cpu["offloaded"] * 1000,
         cpu["streamed"] * 1000, unit="ms")  # fmt: skip


def odoo_downloads(swift, base, tree):
    """The measures through a real Odoo server (3 and 4), on one database."""
    with run_postgres(base) as postgres:
        odoo = OdooInstance(tree, postgres, base / "odoo-data")
        database = odoo.install("bench_storage", ["attachment_s3"])
        env = swift.s3_environ(AWS_BUCKETNAME="bench-odoo")
        created = odoo.call(
            database, in_odoo.create_big_attachments, env=env, size=DOWNLOAD_SIZE
        )
        # Else the worker would serve a local file, for the wrong reason.
        assert created["s3"][1].startswith("s3://bench-odoo/"), created
        assert created["db"][1] is False, created
        ids = {location: ident for location, (ident, _) in created.items()}
        worker_memory(odoo, database, env, ids, base)
        offloaded, location = odoo.call(
            database, in_odoo.create_offloaded_attachment, env=env, size=OFFLOADED_SIZE
        )
        assert location.startswith("s3://bench-odoo/"), location
        offloaded_download(odoo, database, env, offloaded, base)


def main():
    tree, reason = odoo_tree()
    with tempfile.TemporaryDirectory(prefix="bench-storage-") as tmp:
        base = Path(tmp)
        with run_swift(base / "swift") as swift:
            compare_throughputs(swift)
            print(f"Migration of {SMALL_FILES} small files")
            one = migration_rate(swift, base, 1)
            line("one at a time (baseline)", one, unit="files/s")
            default = load({})["ATTACHMENT_STORAGE_CONCURRENCY"]
            parallel = migration_rate(swift, base, default)
            line(f"concurrency {default} (default)", parallel, one, unit="files/s")
            if tree is None:
                print(f"Odoo worker measures skipped: {reason}")
                return
            odoo_downloads(swift, base, tree)


if __name__ == "__main__":
    main()
