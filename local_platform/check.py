"""``make run-check``: check the platform that ``make run`` serves, end to
end, as a user would.

It logs in, uploads a file, and finds the session in Redis, the object in the
store, the request's JSON log line and the request in ``/metrics``: one line
per step, and on the first failure what was answered (the HTTP status and
the first line of the body).
"""

import base64
import json
import secrets
import sys
import time
import uuid

import boto3
import botocore.config
import botocore.exceptions
import redis
import requests
from prometheus_client.parser import text_string_to_metric_families

from odoo_cloud.sessions.store import IDENTIFIER_LENGTH

from .errors import PlatformError
from .odoo_server import OdooClient, answer, result
from .serve import RUN_DIR, STATE_PATH

TIMEOUT = 60


class CheckFailed(PlatformError):
    """A step found the platform other than it should be."""


def main():
    if not STATE_PATH.exists():
        sys.exit(f"make run-check: no make run is serving from {RUN_DIR}.")
    state = json.loads(STATE_PATH.read_text())
    odoo = OdooClient(state["url"], state["database"])
    request_id = f"run-check-{uuid.uuid4().hex[:12]}"
    web = requests.Session()
    web.headers["X-Request-ID"] = request_id
    steps = [
        ("login", login),
        ("session", session_in_redis),
        ("upload", upload),
        ("object", object_in_store),
        ("download", download),
        ("log", json_log_line),
        ("metrics", request_in_metrics),
    ]
    facts = {"request_id": request_id}
    for name, step in steps:
        try:
            said = step(state, odoo, web, facts)
        except (
            PlatformError,
            OSError,
            requests.RequestException,
            redis.RedisError,
            botocore.exceptions.BotoCoreError,
            botocore.exceptions.ClientError,
        ) as e:
            print(f"FAIL {name:<9} {e}", flush=True)
            sys.exit(1)
        print(f"ok   {name:<9} {said}", flush=True)


def call(odoo, web, model, method, *args):
    params = {"model": model, "method": method, "args": args, "kwargs": {}}
    return result(odoo.jsonrpc("/web/dataset/call_kw", params, web))


def login(state, odoo, web, facts):
    odoo.login(state["login"], state["password"], session=web)
    facts["sid"] = web.cookies["session_id"]
    return f"{state['login']} logged in at {state['url']}"


def session_in_redis(state, odoo, web, facts):
    sid = facts["sid"]
    # The hash of the session's identifier holds the session under its sid.
    key = f"{state['redis']['prefix']}:session:{sid[:IDENTIFIER_LENGTH]}"
    with redis.Redis(state["redis"]["host"], state["redis"]["port"]) as client:
        if not client.hexists(key, sid):
            raise CheckFailed(f"no session {sid[:8]}... in the key {key} of Redis")
    return f"session {sid[:8]}... in Redis, in the hash of its identifier"


def upload(state, odoo, web, facts):
    # text/plain: the object store's rule keeps small images and assets in
    # the database.
    facts["content"] = secrets.token_hex(50_000).encode()
    datas = base64.b64encode(facts["content"]).decode()
    values = {"name": "run-check.txt", "mimetype": "text/plain", "datas": datas}
    facts["id"] = call(odoo, web, "ir.attachment", "create", values)
    [record] = call(odoo, web, "ir.attachment", "read", [facts["id"]], ["store_fname"])
    facts["location"] = record["store_fname"]
    if not facts["location"].startswith(f"s3://{state['s3']['bucket']}/"):
        raise CheckFailed(f"attachment {facts['id']} is in {facts['location']}")
    size = len(facts["content"])
    return f"attachment {facts['id']} ({size} bytes) is {facts['location']}"


def object_in_store(state, odoo, web, facts):
    bucket, key = facts["location"].removeprefix("s3://").split("/", 1)
    client = boto3.client(
        "s3",
        endpoint_url=state["s3"]["endpoint"],
        aws_access_key_id=state["s3"]["access_key"],
        aws_secret_access_key=state["s3"]["secret_key"],
        region_name=state["s3"]["region"],
        config=botocore.config.Config(s3={"addressing_style": "path"}),
    )
    stored = client.get_object(Bucket=bucket, Key=key)["Body"].read()
    if stored != facts["content"]:
        raise CheckFailed(f"{bucket}/{key} holds other bytes")
    return f"{bucket}/{key} holds the uploaded bytes"


def download(state, odoo, web, facts):
    path = f"/web/content/{facts['id']}"
    reply = web.get(f"{state['url']}{path}", timeout=TIMEOUT)
    if reply.status_code != 200:
        raise CheckFailed(answer(reply))
    if reply.content != facts["content"]:
        raise CheckFailed(f"{path} answers other bytes than those uploaded")
    return f"{path} answers the uploaded bytes"


def json_log_line(state, odoo, web, facts):
    """The access line of our login, which the instance that served it writes
    once it has answered."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for path in state["logs"]:
            with open(path, errors="replace") as log:
                for line in log:
                    if facts["request_id"] not in line:
                        continue
                    record = json.loads(line)
                    if record.get("path") == "/web/session/authenticate":
                        return (
                            f"{path}: request {facts['request_id']} "
                            f"logged as JSON (status {record['status']})"
                        )
        time.sleep(0.5)
    logs = ", ".join(state["logs"])
    raise CheckFailed(f"no JSON access line of {facts['request_id']} in {logs}")


def request_in_metrics(state, odoo, web, facts):
    """Our requests counted by the instances that served them, each in its
    own ``/metrics``."""
    labels = {
        "kind": "jsonrpc",
        "method": "POST",
        "status": "2xx",
        "db": state["database"],
    }
    count = 0
    for url in state["metrics"]:
        reply = requests.get(url, timeout=TIMEOUT)
        if reply.status_code != 200:
            raise CheckFailed(answer(reply))
        count += sum(
            sample.value
            for family in text_string_to_metric_families(reply.text)
            for sample in family.samples
            if sample.name == "odoo_http_requests_total"
            and labels.items() <= sample.labels.items()
        )
    selector = ",".join(f'{name}="{value}"' for name, value in labels.items())
    series = f"odoo_http_requests_total{{{selector}}}"
    # This check's own calls: login, create, read.
    where = " + ".join(state["metrics"])
    if count < 3:
        raise CheckFailed(f"{series} is {count:.0f} in {where}, not >= 3")
    return f"{series} {count:.0f} in {where}"


if __name__ == "__main__":
    main()
