"""An outage is reported once across forked processes, and so is its end."""

import multiprocessing

from odoo_cloud.sessions.outage import Outage


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


def test_a_cluster_outage_ends_with_a_success_where_it_failed():
    """A master down fails its slots' keys; the others' keys still answer."""
    outage = Outage(cluster=True)
    assert (outage.begins("s:down-1"), outage.begins("s:down-2")) == (True, False)
    assert outage.ends("s:up") is False
    assert outage.ends() is False  # a PING answered by a master that is up
    assert outage.ends("s:down-2") is True
    assert outage.ends("s:down-1") is False


def test_a_cluster_failure_without_a_key_ends_with_any_success():
    outage = Outage(cluster=True)
    assert (outage.begins("s:down-1"), outage.begins()) == (True, False)
    assert outage.ends("s:up") is True
