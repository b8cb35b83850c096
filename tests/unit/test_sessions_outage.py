"""An outage is reported once across forked processes, and so is its end."""

import multiprocessing

from odoo_cloud.sessions import Outage


def report(outage, queue):
    queue.put(outage.begins())


def test_only_the_first_process_reports_the_outage():
    outage = Outage()
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    workers = [context.Process(target=report, args=(outage, queue)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert sorted(queue.get(timeout=5) for _ in workers) == [False, False, False, True]
    assert outage.ends() is True
    assert outage.ends() is False


def test_a_new_outage_is_reported_again():
    outage = Outage()
    assert outage.ends() is False
    assert (outage.begins(), outage.begins()) == (True, False)
    assert outage.ends() is True
    assert outage.begins() is True
