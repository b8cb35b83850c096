"""What object storage costs, against baselines measured in the same run.

1. upload and download throughput through ``ObjectStore`` vs raw boto3 on
   the same S3 endpoint (Swift's s3api) (target ratio >= 0.9);
2. migration rate (files/s) of 2,000 small files with the default
   concurrency vs one at a time (target >= 5x);
3. with ``ODOO_SRC``: peak memory of the Odoo worker serving a 200 MB
   attachment, above its idle size (target < 64 MB).

Every server is started here with the test harness and stopped at the end.
Figures are printed, never asserted. Run:
``ODOO_SRC=/opt/odoo/18.0 .venv/bin/python bench/storage.py``.
"""

import sys
from pathlib import Path

# The servers come from the test harness.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import hashlib
import os
import tempfile
import threading
import time
import uuid

import psutil
from harness.odoo_server import OdooInstance, OdooServer, find_odoo_src
from harness.postgres_server import run_postgres
from harness.swift_server import run_swift
from measure import line

from odoo_cloud.config import load
from odoo_cloud.storage import READ_SIZE, Stores
from odoo_cloud.storage.migration import Item, Migration, upload_to

MB = 1024 * 1024
OBJECT_SIZE = 8 * MB
OBJECTS = 8
SMALL_FILES = 2000
DOWNLOAD_SIZE = 200 * MB


def megabytes_per_second(action):
    start = time.perf_counter()
    for index in range(OBJECTS):
        action(f"bench/{index}")
    return OBJECTS * OBJECT_SIZE / MB / (time.perf_counter() - start)


def throughput(swift):
    data = os.urandom(OBJECT_SIZE)
    raw = swift.s3_client()
    raw_bucket = f"bench-raw-{uuid.uuid4().hex[:8]}"
    raw.create_bucket(Bucket=raw_bucket)
    store = Stores(load(swift.s3_environ())).get("s3", f"bench-{uuid.uuid4().hex[:8]}")
    store.put("warm-up", b"creates the bucket")

    def raw_get(key):
        raw.get_object(Bucket=raw_bucket, Key=key)["Body"].read()

    def streamed_get(key):
        with store.reader(key, OBJECT_SIZE) as reader:
            while reader.read(READ_SIZE):
                pass

    print(f"Throughput, {OBJECTS} objects of {OBJECT_SIZE // MB} MB, Swift s3api")
    for _ in range(2):  # the first round warms connections and the disk
        raw_put = megabytes_per_second(
            lambda key: raw.put_object(Bucket=raw_bucket, Key=key, Body=data)
        )
        put = megabytes_per_second(lambda key: store.put(key, data))
    line("raw boto3 put_object (baseline)", raw_put, unit="MB/s")
    line("ObjectStore.put", put, raw_put, unit="MB/s")
    raw_read = megabytes_per_second(raw_get)
    line("raw boto3 get_object (baseline)", raw_read, unit="MB/s")
    line("ObjectStore.get", megabytes_per_second(store.get), raw_read, unit="MB/s")
    line("ObjectStore.reader (streamed)", megabytes_per_second(streamed_get),
         raw_read, unit="MB/s")  # fmt: skip


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


CREATE_BIG = f"""
import json, os
Parameters, data = env["ir.config_parameter"], os.urandom({DOWNLOAD_SIZE})
ids = {{}}
for location in ("db", "s3"):
    Parameters.set_param("ir_attachment.location", location)
    ids[location] = env["ir.attachment"].create({{
        "name": f"big-{{location}}.bin", "raw": data,
        "mimetype": "application/octet-stream"}}).id
env.cr.commit()
print(json.dumps(ids))
"""


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


def worker_memory(swift, base, src):
    """Growth of the prefork worker serving a big download: from the database
    (Odoo loads it whole: the control) and from the object store."""
    with run_postgres(base) as postgres:
        odoo = OdooInstance(src, postgres, base / "odoo-data")
        database = odoo.install("bench_storage", ["attachment_s3"])
        env = swift.s3_environ(AWS_BUCKETNAME="bench-odoo")
        ids = odoo.shell(database, CREATE_BIG, env=env)
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


def main():
    src, reason = find_odoo_src()
    with tempfile.TemporaryDirectory(prefix="bench-storage-") as tmp:
        base = Path(tmp)
        with run_swift(base / "swift") as swift:
            throughput(swift)
            print(f"Migration of {SMALL_FILES} small files")
            one = migration_rate(swift, base, 1)
            line("one at a time (baseline)", one, unit="files/s")
            default = load({})["ATTACHMENT_STORAGE_CONCURRENCY"]
            parallel = migration_rate(swift, base, default)
            line(f"concurrency {default} (default)", parallel, one, unit="files/s")
            if src is None:
                print(f"Odoo worker memory skipped: {reason}")
                return
            worker_memory(swift, base, src)


if __name__ == "__main__":
    main()
