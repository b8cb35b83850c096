"""Calls of a Python function inside an Odoo tree's interpreter.

The function is named, not written out: a fixed script (:data:`SCRIPT`, run by
``odoo-bin shell`` or the tree's ``python -c``) imports it by module and name,
calls it with the JSON-decoded keyword arguments (after the shell's ``env``
when a database is open) and prints its JSON result. Nothing is formatted into
code, and the functions live in modules a linter reads (``in_odoo.py``);
those modules import ``odoo`` inside their functions only, so that the
process calling them can import them too.
"""

import contextlib
import inspect
import json
import tempfile
from pathlib import Path

VARIABLE = "ODOO_TIER_CALL"
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


@contextlib.contextmanager
def call_environ(function, arguments, in_database=True):
    """The variable that points :data:`SCRIPT` at ``function`` and its
    ``arguments``: a JSON file, removed on exit. Not the arguments themselves:
    one variable holds at most 128 KiB, less than the images some calls take."""
    source = Path(inspect.getfile(function))
    call = {
        "directory": str(source.parent),
        "module": source.stem,
        "function": function.__name__,
        "in_database": in_database,
        "arguments": arguments,
    }
    with tempfile.TemporaryDirectory(prefix="odoo-call-") as directory:
        path = Path(directory) / "call.json"
        path.write_text(json.dumps(call))
        yield {VARIABLE: str(path)}


def returned(stdout):
    """What the function returned: the last line :data:`SCRIPT` printed."""
    return json.loads(stdout.strip().splitlines()[-1])
