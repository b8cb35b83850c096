"""Simulated users working through HAProxy while parts of the platform fail,
and the report of what they saw.

Each user loops: log in, ask for its session info, upload an attachment of
random bytes (a mimetype that goes to the object store), download it and
check its sha1, log out. A request that fails is sent again, with the same
session, after a short pause, as a person would; a session that Odoo no
longer knows (JSON-RPC "Session expired", no uid, or a redirect to the login
page) is counted as lost and the user logs in again.

A fault (:class:`Fault`) breaks one part and repairs it; its *outage window*
runs from the fault until the part is back, plus the time HAProxy and
Sentinel take to notice (:data:`DETECTION_DELAY`). Inside a window a user may
see 503, never a 500 nor a connection error; outside every window nothing
fails. The one exception is the request an Odoo instance was serving when it
was killed: HAProxy answers it 502 (or 504), since a request that reached
Odoo is never sent twice; those are counted apart, as *cut*.
"""

import base64
import concurrent.futures
import hashlib
import random
import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import requests

from .odoo_server import OdooClient
from .process import group_members
from .redis_server import SENTINEL_DOWN_AFTER

# HAProxy takes an instance out after two failed checks a second apart (and
# puts it back after one).
HEALTH_CHECK_DELAY = 2.0
DETECTION_DELAY = HEALTH_CHECK_DELAY + SENTINEL_DOWN_AFTER
RETRY_PAUSE = 0.5
REQUEST_TIMEOUT = 60
UPLOAD_SIZES = (50_000, 200_000)
MIMETYPE = "application/octet-stream"
PASSWORD = "load-user-password"
SESSION_EXPIRED = "odoo.http.SessionExpiredException"
# The only answer allowed inside an outage window.
OUTAGE_ANSWER = "503"
# What HAProxy answers a POST that an instance was serving when it was
# killed (a GET goes to another instance): 502 (504), or a response cut in
# the middle of its body.
# HAProxy closes the client's connection without an answer instead, when
# the request went to the instance on a connection it had used before (so
# that a client may send it again).
CLOSED = "connection closed without response"
CUT_OUTCOMES = ("502", "504", CLOSED, "connection error (body cut)")


@dataclass
class Request:
    user: int
    step: str
    started: float
    ended: float
    outcome: str  # the HTTP status, "connection error", "200 <what went wrong>"
    ok: bool
    detail: str = ""

    @property
    def duration(self):
        return self.ended - self.started


@dataclass
class Window:
    """A fault, from ``fault_at`` until its part was ``back_at``."""

    name: str
    fault_at: float
    back_at: float
    # When the killed part's last process was gone: a kill cuts what the
    # part was serving from fault_at until then. None: nothing is cut.
    dead_at: float = None

    @property
    def ends(self):
        return self.back_at + DETECTION_DELAY

    def covers(self, request):
        return request.started <= self.ends and request.ended >= self.fault_at


@dataclass
class Recorder:
    """What every user saw, shared by the user threads."""

    requests: list = field(default_factory=list)
    uploads: list = field(default_factory=list)  # (id, sha1)
    lost_sessions: list = field(default_factory=list)  # (user, step, when)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, request):
        with self.lock:
            self.requests.append(request)


class SessionLost(Exception):
    pass


class User(threading.Thread):
    """One person using the web client through ``url`` until ``stop`` is set."""

    def __init__(self, number, url, database, recorder, stop):
        super().__init__(name=f"user-{number}", daemon=True)
        self.number = number
        self.login = login_name(number)
        self.url = url
        self.database = database
        self.recorder = recorder
        self.stop = stop
        self.random = random.Random(number)
        self.http = None

    def run(self):
        while not self.stop.is_set():
            self.http = requests.Session()
            try:
                self.cycle()
            except SessionLost:
                continue
            finally:
                self.http.close()

    def cycle(self):
        self.attempt("login", self.authenticate)
        self.attempt("session info", self.session_info)
        content = self.random.randbytes(self.random.randint(*UPLOAD_SIZES))
        sha1 = hashlib.sha1(content).hexdigest()
        attachment = self.attempt("upload", lambda: self.upload(content))
        if attachment is None:
            return
        with self.recorder.lock:
            self.recorder.uploads.append((attachment, sha1))
        self.attempt("download", lambda: self.download(attachment, sha1))
        self.attempt("logout", self.logout)

    def attempt(self, step, send):
        """``send()`` until it succeeds (its result) or the run stops (None).

        ``send`` returns ``(outcome, ok, result)``; it raises SessionLost."""
        while not self.stop.is_set():
            started, detail = time.monotonic(), ""
            try:
                outcome, ok, result = send()
            except requests.RequestException as error:
                outcome, ok, result = connection_error(error), False, None
                detail = str(error)
            except SessionLost:
                self.recorder.add(
                    Request(self.number, step, started, time.monotonic(), "200", False)
                )
                with self.recorder.lock:
                    self.recorder.lost_sessions.append((self.number, step, started))
                raise
            self.recorder.add(
                Request(
                    self.number, step, started, time.monotonic(), outcome, ok, detail
                )
            )
            if ok:
                return result
            self.stop.wait(RETRY_PAUSE)
        return None

    def jsonrpc(self, path, params=None, logged_in=True):
        payload = {"jsonrpc": "2.0", "method": "call", "params": params or {}}
        reply = self.http.post(
            f"{self.url}{path}", json=payload, timeout=REQUEST_TIMEOUT
        )
        if reply.status_code != 200:
            return str(reply.status_code), False, None
        try:
            body = reply.json()
        except ValueError:
            return "200 not JSON", False, None
        error = body.get("error")
        if error:
            name = (error.get("data") or {}).get("name", "")
            if logged_in and (
                name == SESSION_EXPIRED or "Session expired" in str(error)
            ):
                raise SessionLost
            return f"200 error {name or error.get('message')}", False, None
        return "200", True, body.get("result")

    def authenticate(self):
        params = {"db": self.database, "login": self.login, "password": PASSWORD}
        outcome, ok, result = self.jsonrpc(
            "/web/session/authenticate", params, logged_in=False
        )
        if ok and not (result or {}).get("uid"):
            return "200 no uid", False, None
        return outcome, ok, result

    def session_info(self):
        outcome, ok, result = self.jsonrpc("/web/session/get_session_info")
        if ok and not (result or {}).get("uid"):
            raise SessionLost
        return outcome, ok, result

    def upload(self, content):
        values = {
            "name": f"{self.login}.bin",
            "datas": base64.b64encode(content).decode(),
            "mimetype": MIMETYPE,
        }
        params = {
            "model": "ir.attachment",
            "method": "create",
            "args": [values],
            "kwargs": {},
        }
        outcome, ok, result = self.jsonrpc("/web/dataset/call_kw", params)
        if ok and isinstance(result, list):
            result = result[0]
        return outcome, ok, result

    def download(self, attachment, sha1):
        reply = self.http.get(
            f"{self.url}/web/content/{attachment}?download=true",
            timeout=REQUEST_TIMEOUT,
            allow_redirects=False,
        )
        if reply.is_redirect and "/web/login" in reply.headers.get("Location", ""):
            raise SessionLost
        if reply.status_code != 200:
            return str(reply.status_code), False, None
        if hashlib.sha1(reply.content).hexdigest() != sha1:
            return "200 corrupt", False, None
        return "200", True, None

    def logout(self):
        return self.jsonrpc("/web/session/destroy")


def connection_error(error):
    """The outcome of a request that got no (whole) HTTP answer."""
    if isinstance(error, requests.Timeout):
        return "timeout"
    if isinstance(error, requests.exceptions.ChunkedEncodingError):
        return "connection error (body cut)"
    if "RemoteDisconnected" in str(error):
        return CLOSED
    return f"connection error ({type(error).__name__})"


def login_name(number):
    return f"load-user-{number}"


def create_users(client, count):
    """``count`` internal users that the simulated users log in as."""
    admin = client.login()
    values = [
        {"name": f"Load user {n}", "login": login_name(n), "password": PASSWORD}
        for n in range(count)
    ]
    reply = client.call(admin, "res.users", "create", values)
    if "error" in reply:
        raise RuntimeError(f"creating the load users failed: {reply['error']}")


class Fault:
    """A part that fails and is repaired: ``inject()`` breaks it, returns
    once it is back, and says when: ``(fault_at, back_at, dead_at)``
    (:class:`Window`)."""

    def __init__(self, name, inject):
        self.name = name
        self.inject = inject

    def run(self):
        return Window(self.name, *self.inject())


def redis_master_killed(platform):
    """SIGKILL the Redis master; back once the sentinels name the replica.
    The old master is started again afterwards, as a replica."""

    def inject():
        group = platform.sentinel
        old = group.current_master()
        master = group.server_at(old)
        fault_at = time.monotonic()
        master.kill()
        group.wait_for_failover(old)
        back_at = time.monotonic()
        group.rejoin(master)
        return fault_at, back_at, None

    return Fault("(a) Redis master killed, Sentinel promotes the replica", inject)


def swift_proxy_stopped(platform, seconds=10):
    """Stop the Swift proxy (S3 API) for ``seconds``, then start it."""

    def inject():
        fault_at = time.monotonic()
        platform.swift.stop_proxy()
        time.sleep(seconds)
        platform.swift.start_proxy()
        return fault_at, time.monotonic(), None

    return Fault(f"(b) Swift proxy stopped for {seconds} s", inject)


def odoo_instance_killed(platform, index=0):
    """SIGKILL an Odoo instance (its whole process group) and start it again."""

    def inject():
        odoo = platform.instances[index]
        fault_at = time.monotonic()
        odoo.process.kill()
        # Its workers die a little after the master, and until the last one
        # has, the kernel still accepts connections on its port.
        while group_members(odoo.process.pid):
            time.sleep(0.01)
        dead_at = time.monotonic()
        odoo.start()
        return fault_at, time.monotonic(), dead_at

    return Fault(f"(c) Odoo instance {index + 1} killed and started", inject)


def run_load(platform, users, faults, quiet):
    """``users`` simulated users through HAProxy while ``faults`` happen one
    after another, ``quiet`` seconds before, between and after them; the
    :class:`Recorder` and the windows."""
    client = OdooClient(platform.url, platform.database)
    create_users(client, users)
    recorder, stop = Recorder(), threading.Event()
    threads = [
        User(n, platform.url, platform.database, recorder, stop) for n in range(users)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    windows = []
    try:
        for fault in faults:
            time.sleep(quiet)
            windows.append(fault.run())
        time.sleep(quiet)
    finally:
        stop.set()
        for thread in threads:
            thread.join(REQUEST_TIMEOUT + 5)
    return recorder, windows, started, time.monotonic()


def verify_attachments(platform, recorder):
    """Every acknowledged upload downloaded again and its sha1 checked, and
    its object in the bucket; the list of what failed."""
    client = OdooClient(platform.url, platform.database)
    admin = client.login()
    ids = [attachment for attachment, _ in recorder.uploads]
    reply = client.call(
        admin, "ir.attachment", "read", ids, ["store_fname", "checksum"]
    )
    if "error" in reply:
        return [f"reading the attachments failed: {reply['error']}"]
    records = {record["id"]: record for record in reply["result"]}
    s3 = platform.swift.s3_client()
    keys = set()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=platform.bucket):
        keys.update(item["Key"] for item in page.get("Contents", ()))
    cookies = admin.cookies

    def check(upload):
        attachment, sha1 = upload
        record = records.get(attachment)
        if record is None:
            return f"attachment {attachment}: missing"
        location = f"s3://{platform.bucket}/"
        store_fname = record["store_fname"] or ""
        if not store_fname.startswith(location):
            return f"attachment {attachment}: stored at {store_fname!r}"
        if store_fname.removeprefix(location) not in keys:
            return f"attachment {attachment}: {store_fname} not in the bucket"
        reply = requests.get(
            f"{platform.url}/web/content/{attachment}?download=true",
            cookies=cookies,
            timeout=REQUEST_TIMEOUT,
        )
        if reply.status_code != 200:
            return f"attachment {attachment}: download answered {reply.status_code}"
        if hashlib.sha1(reply.content).hexdigest() != sha1:
            return f"attachment {attachment}: corrupt"
        return None

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        return [problem for problem in pool.map(check, recorder.uploads) if problem]


@dataclass
class Report:
    recorder: Recorder
    windows: list
    started: float
    ended: float
    attachment_problems: list

    def in_window(self, request):
        return next((w for w in self.windows if w.covers(request)), None)

    def is_cut(self, request, window):
        """A request cut (:data:`CUT_OUTCOMES`) that was in flight while
        ``window``'s instance was being killed."""
        return (
            window is not None
            and window.dead_at is not None
            and request.outcome in CUT_OUTCOMES
            and request.started <= window.dead_at
            and request.ended >= window.fault_at
        )

    def failures(self):
        return [request for request in self.recorder.requests if not request.ok]

    def phases(self):
        """(name, start, end): the windows and the quiet spells around them."""
        phases, at = [], self.started
        for number, window in enumerate(self.windows):
            before = "before" if number == 0 else "after"
            neighbour = self.windows[0 if number == 0 else number - 1].name[:3]
            phases.append((f"quiet, {before} {neighbour}", at, window.fault_at))
            phases.append((window.name, window.fault_at, window.ends))
            at = window.ends
        last = self.windows[-1].name[:3] if self.windows else ""
        phases.append((f"quiet, after {last}".strip(", "), at, self.ended))
        return phases

    def problems(self):
        """What breaks the goal: lost sessions or attachments, any error
        outside a window, anything but 503 (or a cut request) inside one."""
        problems = [
            f"user {user} lost its session at {step}, "
            f"{when - self.started:.1f} s into the run"
            for user, step, when in self.recorder.lost_sessions
        ]
        problems += self.attachment_problems
        for request in self.failures():
            if request.outcome == "200":  # the lost sessions, above
                continue
            window = self.in_window(request)
            at = f"{request.started - self.started:.1f} s"
            what = f"{request.step} answered {request.outcome} at {at}"
            if window is None:
                problems.append(f"outside every window: {what}")
            elif request.outcome != OUTAGE_ANSWER and not self.is_cut(request, window):
                problems.append(f"inside {window.name[:3]}: {what}")
        return problems

    def text(self):
        requests_ = self.recorder.requests
        lines = [
            f"{len(requests_)} requests in {self.ended - self.started:.0f} s, "
            f"{len(self.recorder.uploads)} uploads acknowledged",
            "",
            "Requests per outcome (HTTP status; 200 <...>: a JSON-RPC error or a "
            "bad body):",
        ]
        for outcome, count in sorted(Counter(r.outcome for r in requests_).items()):
            lines.append(f"  {outcome:<40} {count:>7}")
        lines += [
            "",
            f"Outage window: from the fault until the part is back, plus "
            f"{DETECTION_DELAY:.0f} s to notice it (HAProxy: 2 failed health "
            f"checks 1 s apart; Sentinel: down-after {SENTINEL_DOWN_AFTER:.0f} s). "
            "A request counts in a window when it overlaps it. Allowed inside "
            f"one: {OUTAGE_ANSWER}; and, for the request an "
            "instance was serving when it was killed (in flight from the SIGKILL "
            "until its last process was gone), "
            f"{', '.join(CUT_OUTCOMES)}: HAProxy sends a GET the instance "
            "dropped to another one, never a POST, which Odoo may have acted "
            "on; the user sends it again.",
        ]
        failures = self.failures()
        for window in self.windows:
            inside = [r for r in requests_ if window.covers(r)]
            failed = [r for r in failures if window.covers(r)]
            cut = [r for r in failed if self.is_cut(r, window)]
            lines.append(
                f"  {window.name}: {window.ends - window.fault_at:.1f} s, "
                f"{len(inside)} requests, failed: {summary(failed)}"
                + (
                    f"; cut by the kill (in flight during the "
                    f"{(window.dead_at - window.fault_at) * 1000:.0f} ms the "
                    f"instance took to die): {len(cut)}"
                    if window.dead_at is not None
                    else ""
                )
            )
        outside = [r for r in failures if self.in_window(r) is None]
        lines.append(f"  outside every window: failed: {summary(outside)}")
        unanswered = Counter(
            f"{r.step}: {r.detail[:150]}" for r in failures if r.detail
        )
        lines += [f"    {count} x {what}" for what, count in unanswered.items()]
        lines += ["", "Latency per phase (requests started in it):"]
        for name, start, end in self.phases():
            durations = sorted(
                r.duration for r in requests_ if start <= r.started < end
            )
            lines.append(f"  {name:<58} {latency(durations)}")
        lines += [
            "",
            f"Sessions lost: {len(self.recorder.lost_sessions)}",
            f"Attachments lost or corrupt: {len(self.attachment_problems)} of "
            f"{len(self.recorder.uploads)} (each downloaded again and its sha1 "
            "checked, its object looked up in the bucket)",
        ]
        lines += [f"  {problem}" for problem in self.attachment_problems[:20]]
        problems = self.problems()
        lines += ["", "Goal met" if not problems else f"Goal missed: {len(problems)}"]
        lines += [f"  {problem}" for problem in problems[:30]]
        return "\n".join(lines)


def summary(failed):
    if not failed:
        return "none"
    return ", ".join(
        f"{outcome} x{count}"
        for outcome, count in sorted(Counter(r.outcome for r in failed).items())
    )


def latency(durations):
    if not durations:
        return "no request"
    if len(durations) > 1:
        p99 = statistics.quantiles(durations, n=100, method="inclusive")[98]
    else:
        p99 = durations[0]
    return (
        f"{len(durations):>6} requests  p50 {statistics.median(durations) * 1000:>7.0f}"
        f" ms  p99 {p99 * 1000:>7.0f} ms"
    )


def failover_run(platform, users, quiet, swift_outage=10):
    """The three faults, one after another, under load; the :class:`Report`."""
    faults = [
        redis_master_killed(platform),
        swift_proxy_stopped(platform, swift_outage),
        odoo_instance_killed(platform),
    ]
    recorder, windows, started, ended = run_load(platform, users, faults, quiet)
    problems = verify_attachments(platform, recorder)
    return Report(recorder, windows, started, ended, problems)
