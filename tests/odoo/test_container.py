"""The image end to end: two containers of ``odoo-cloud:<series>`` behind
HAProxy, with sessions in Redis and attachments in the S3 API of Swift, share
users and files, survive the loss of one container, and stop without cutting
a request; a container given production's bucket in integration refuses to
start.

The image is built from the checkout first (podman's cache makes that quick
when nothing changed).
"""

import base64
import contextlib
import http.client
import json
import os
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from local_platform.container import (
    STOP_TIMEOUT,
    OdooContainer,
    container_environ,
    image_of,
)
from local_platform.haproxy_server import HAProxy
from local_platform.odoo_server import OdooClient, result
from local_platform.process import running
from local_platform.serve import odoo_environ
from local_platform.topology import install

# The slow request: its body sent in PIECES pieces, PAUSE seconds apart.
PIECES = 8
PAUSE = 0.5


@pytest.fixture(scope="module")
def odoo_image(odoo_tree):
    return image_of(odoo_tree)


@pytest.fixture
def container(odoo_image):
    """Factory: ``container(env, database=None)``, an :class:`OdooContainer`
    of the image (not started); every one removed after the test, whatever
    happened."""
    run_id = uuid.uuid4().hex[:8]
    with contextlib.ExitStack() as stack:
        count = 0

        def make(env, database=None):
            nonlocal count
            count += 1
            name = f"odoo-cloud-test-{run_id}-{count}"
            made = OdooContainer(odoo_image, name, env, database)
            stack.callback(made.remove)
            return made

        yield make


def suite_environ(project, redis_server, swift):
    """``make run``'s variables, with the bucket and session prefix of
    ``project`` in dev."""
    name = f"{project}-odoo-dev"
    return {
        **odoo_environ(redis_server, swift),
        "AWS_BUCKETNAME": name,
        "ODOO_SESSION_REDIS_PREFIX": name,
    }


def trickled_read(odoo, sid, attachment_id, half_sent):
    """Read the attachment's content from ``odoo`` over JSON-RPC, the request
    body sent slowly; ``half_sent`` is set once half of it is out. The HTTP
    status and the JSON answer."""
    body = json.dumps(
        {
            "jsonrpc": "2.0",
            "method": "call",
            "params": {
                "model": "ir.attachment",
                "method": "read",
                "args": [[attachment_id], ["datas"]],
                "kwargs": {},
            },
        }
    ).encode()
    connection = http.client.HTTPConnection("127.0.0.1", odoo.port, timeout=60)
    connection.putrequest("POST", "/web/dataset/call_kw")
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Content-Length", str(len(body)))
    connection.putheader("Cookie", f"session_id={sid}")
    connection.endheaders()
    size = -(-len(body) // PIECES)
    for number, start in enumerate(range(0, len(body), size), 1):
        connection.send(body[start : start + size])
        if number == PIECES // 2:
            half_sent.set()
        time.sleep(PAUSE)
    reply = connection.getresponse()
    answer = json.loads(reply.read())
    connection.close()
    return reply.status, answer


def test_two_containers_share_users_and_files_lose_one_and_stop_cleanly(
    odoo_tree,
    postgres,
    redis_server,
    swift,
    odoo,
    odoo_template_db,
    container,
    tmp_path,
):
    started = time.monotonic()
    project = f"container{odoo_tree.series.replace('.', '')}"
    database = f"container_{odoo.db_suffix}_{uuid.uuid4().hex[:6]}"
    environ = suite_environ(project, redis_server, swift)
    install(odoo, database, environ, template=odoo_template_db)
    in_container = container_environ(environ, postgres, database)
    first, second = container(in_container, database), container(in_container, database)
    for odoo_container in (first, second):
        odoo_container.start()
    proxy = HAProxy(tmp_path, [(c.port, c.gevent_port) for c in (first, second)])
    with running(proxy):
        through_proxy = OdooClient(proxy.url, database)
        session = through_proxy.login()
        uid = result(
            through_proxy.jsonrpc("/web/session/get_session_info", session=session)
        )["uid"]

        content = os.urandom(200_000)
        datas = base64.b64encode(content).decode()
        created = first.call(
            session,
            "ir.attachment",
            "create",
            {"name": "container.bin", "datas": datas},
        )
        attachment_id = created["result"]
        stored = second.call(
            session, "ir.attachment", "read", [attachment_id], ["store_fname"]
        )
        assert stored["result"][0]["store_fname"].startswith(
            f"s3://{project}-odoo-dev/"
        )
        download = f"/web/content/{attachment_id}?download=true"
        assert session.get(f"{second.url}{download}", timeout=60).content == content

        first.kill()
        info = result(
            through_proxy.jsonrpc("/web/session/get_session_info", session=session)
        )
        assert info["uid"] == uid
        served = session.get(f"{proxy.url}{download}", timeout=60)
        assert served.status_code == 200
        assert served.content == content

        half_sent = threading.Event()
        with ThreadPoolExecutor(1) as pool:
            slow = pool.submit(
                trickled_read,
                second,
                session.cookies["session_id"],
                attachment_id,
                half_sent,
            )
            assert half_sent.wait(30)
            stopping = time.monotonic()
            second.stop(STOP_TIMEOUT)
            stopped_in = time.monotonic() - stopping
            status, answer = slow.result()
    assert status == 200
    assert base64.b64decode(answer["result"][0]["datas"]) == content
    # 137 (SIGKILL) had the container outlived podman stop's timeout.
    assert second.exit_code() == 0
    print(
        f"\nOdoo {odoo_tree.series}: stopped in {stopped_in:.1f} s with a request "
        f"in flight (timeout {STOP_TIMEOUT} s); test took "
        f"{time.monotonic() - started:.0f} s, image build excluded"
    )


def test_an_integration_container_given_production_bucket_refuses_to_start(
    postgres, redis_server, swift, container
):
    dev = container_environ(
        suite_environ("acme", redis_server, swift), postgres, "acme"
    )
    integration = {
        **dev,
        "RUNNING_ENV": "integration",
        "ODOO_SESSION_REDIS_PREFIX": "acme-odoo-integration",
        "AWS_BUCKETNAME": "acme-odoo-prod",
    }
    refused = container(integration).run_to_the_end()
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert "refusing to start" in output
    assert "AWS_BUCKETNAME=acme-odoo-prod: expected not a production name" in output
