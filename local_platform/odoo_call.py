"""Calls of a Python function inside an Odoo tree's interpreter.

The function is named, not written out: a fixed script (:data:`SCRIPT`, run by
``odoo-bin shell`` or the tree's ``python -c``) imports it by module and name,
calls it with the JSON-decoded keyword arguments (after the shell's ``env``
when a database is open) and prints its JSON result. Nothing is formatted into
code, and the functions live in modules a linter reads (``in_odoo.py``);
those modules import ``odoo`` inside their functions only, so that the
process calling them can import them too.

Each such process spends about 2.5 s importing Odoo and loading the registry.
A :class:`CallServer` pays the imports once: an ``odoo-bin shell`` that forks
a child per call, which loads the registry anew (as a new process would, its
``_register_hook`` included) and runs the function.
"""

import contextlib
import inspect
import json
import shutil
import socket
import tempfile
from pathlib import Path

from .errors import ServerFailed
from .process import ServerProcess, wait_until

VARIABLE = "ODOO_TIER_CALL"
SOCKET_VARIABLE = "ODOO_TIER_CALL_SOCKET"
START_TIMEOUT = 120
CALL_TIMEOUT = 900
# The module's directory goes last on sys.path: its neighbours (errors.py,
# process.py, ...) must not shadow what Odoo imports.
SCRIPT = f"""\
import importlib, json, os, sys
with open(os.environ["{VARIABLE}"]) as file:
    call = json.load(file)
sys.path.append(call["directory"])
function = getattr(importlib.import_module(call["module"]), call["function"])
odoo_env = [env] if call["in_database"] else []
print(json.dumps(function(*odoo_env, **call["arguments"])))
"""


# Run by ``odoo-bin shell`` on a database: Odoo, the addons and their
# libraries are imported once, then each call is served by a child process
# with a registry of its own, on connections of its own.
SERVE_SCRIPT = f"""\
import importlib, json, os, socket, sys, traceback
from contextlib import closing
import odoo

database = env.cr.dbname
registry_class = type(env.registry)
env.cr.rollback()
odoo.sql_db.close_all()


def run(call):
    registry = registry_class.new(database)
    with closing(registry.cursor()) as cr:
        uid = odoo.SUPERUSER_ID
        context = odoo.api.Environment(cr, uid, {{}})["res.users"].context_get()
        cr.rollback()
        sys.path.append(call["directory"])
        module = importlib.import_module(call["module"])
        function = getattr(module, call["function"])
        return function(odoo.api.Environment(cr, uid, context), **call["arguments"])


listener = socket.socket(socket.AF_UNIX)
listener.bind(os.environ["{SOCKET_VARIABLE}"])
listener.listen()
while True:
    connection, _ = listener.accept()
    with connection.makefile("rb") as stream:
        call = json.load(stream)
    child = os.fork()
    if not child:
        listener.close()
        try:
            answer = {{"result": run(call)}}
        except BaseException:
            answer = {{"error": traceback.format_exc()}}
        connection.sendall(json.dumps(answer).encode())
        os._exit(0)
    connection.close()
    os.waitpid(child, 0)
"""


def described(function, arguments, in_database=True):
    """``function`` by module and name, and its ``arguments``: what the
    scripts import and call."""
    source = Path(inspect.getfile(function))
    return {
        "directory": str(source.parent),
        "module": source.stem,
        "function": function.__name__,
        "in_database": in_database,
        "arguments": arguments,
    }


@contextlib.contextmanager
def call_environ(function, arguments, in_database=True):
    """The variable that points :data:`SCRIPT` at ``function`` and its
    ``arguments``: a JSON file, removed on exit. Not the arguments themselves:
    one variable holds at most 128 KiB, less than the images some calls take."""
    call = described(function, arguments, in_database)
    with tempfile.TemporaryDirectory(prefix="odoo-call-") as directory:
        path = Path(directory) / "call.json"
        path.write_text(json.dumps(call))
        yield {VARIABLE: str(path)}


class CallServer:
    """:data:`SERVE_SCRIPT` in ``odoo-bin shell`` (``command``, with ``env``),
    listening on a socket in a temporary directory of its own, where it also
    logs; the directory goes when it stops."""

    def __init__(self, name, command, env):
        self.directory = Path(tempfile.mkdtemp(prefix="odoo-call-"))
        self.socket_path = self.directory / "call.sock"
        script_path = self.directory / "serve.py"
        script_path.write_text(SERVE_SCRIPT)
        self.process = ServerProcess(
            name,
            command,
            self.directory / "odoo.log",
            env={**env, SOCKET_VARIABLE: str(self.socket_path)},
            input_path=script_path,
        )

    def start(self):
        self.process.start()
        try:
            wait_until(
                self.socket_path.exists, START_TIMEOUT, "odoo shell to serve calls",
                self.process,
            )  # fmt: skip
        except ServerFailed:
            self.stop()
            raise
        return self

    def stop(self):
        self.process.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    def call(self, function, arguments):
        """What ``function(env, **arguments)`` returns; ServerFailed with the
        traceback when it raises."""
        with socket.socket(socket.AF_UNIX) as connection:
            connection.settimeout(CALL_TIMEOUT)
            connection.connect(str(self.socket_path))
            connection.sendall(json.dumps(described(function, arguments)).encode())
            connection.shutdown(socket.SHUT_WR)
            with connection.makefile("rb") as stream:
                answer = stream.read()
        if not answer:
            raise ServerFailed(
                f"odoo shell answered nothing to {function.__name__}:\n"
                f"{self.process.log_tail()}"
            )
        answer = json.loads(answer)
        if "error" in answer:
            raise ServerFailed(
                f"odoo shell failed:\n{self.process.log_tail()}{answer['error']}"
            )
        return answer["result"]


def returned(stdout):
    """What the function returned: the last line :data:`SCRIPT` printed."""
    return json.loads(stdout.strip().splitlines()[-1])
