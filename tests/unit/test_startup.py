"""A feature that cannot be set up stops the process with one line where it
can (its main thread), and is an ordinary error with the same line in any
other thread: a request's or a cron's."""

import threading

import pytest

from odoo_cloud.startup import NotSetUp, refusing_to_start

SECRET = "hunter2"
MASKED_LINE = "ValueError: redis://:********@host:notaport has an invalid port"


def fail(feature):
    with refusing_to_start(feature):
        raise ValueError(f"redis://:{SECRET}@host:notaport has an invalid port")


def test_the_main_thread_stops_with_one_line_secrets_masked():
    with pytest.raises(SystemExit) as stopped:
        fail("session_redis")
    assert str(stopped.value) == f"session_redis: {MASKED_LINE}"


def test_another_thread_gets_the_same_line_as_an_error():
    raised = []

    def serve():
        try:
            fail("base_attachment_object_storage")
        except NotSetUp as error:
            raised.append(str(error))

    thread = threading.Thread(target=serve)
    thread.start()
    thread.join()
    assert raised == [f"base_attachment_object_storage: {MASKED_LINE}"]
