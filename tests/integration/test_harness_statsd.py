"""The statsd_receiver fixture sees what a real StatsD client sends."""

import statsd


def test_counter_and_timer_arrive(statsd_receiver):
    statsd_receiver.clear()
    client = statsd.StatsClient(statsd_receiver.host, statsd_receiver.port)
    client.incr("harness.requests")
    with client.pipeline() as pipe:
        pipe.timing("harness.latency", 12)
        pipe.gauge("harness.workers", 3)
    lines = statsd_receiver.wait_for(lambda lines: len(lines) == 3)
    assert lines == [
        "harness.requests:1|c",
        "harness.latency:12.000000|ms",
        "harness.workers:3|g",
    ]
    assert len(statsd_receiver.packets) == 2
