"""odoo-cloud.pth wraps Odoo's database operations before anything binds
them, as odoo-bin db does (``from ..service.db import dump_db``)."""

import subprocess
import sys
import textwrap

from odoo_cloud_adapter import database_operations, import_hook

OPERATIONS = "\n".join(
    f"def {name}(*args, **kwargs):\n    return 'odoo'\n"
    for name in database_operations.WRAPPERS
)


def test_odoo_bin_db_binds_the_wrapped_operations(tmp_path):
    (tmp_path / "odoo" / "service").mkdir(parents=True)
    (tmp_path / "odoo" / "__init__.py").write_text("")
    (tmp_path / "odoo" / "service" / "__init__.py").write_text("")
    (tmp_path / "odoo" / "service" / "db.py").write_text(OPERATIONS)
    site = tmp_path / "site"
    site.mkdir()
    pth = import_hook.install_pth(site)
    assert pth.name == "odoo-cloud.pth"
    script = textwrap.dedent(
        f"""
        import site, sys
        sys.path.insert(0, {str(tmp_path)!r})
        site.addsitedir({str(site)!r})
        from odoo.service.db import dump_db, exp_drop
        import odoo.service.db as db
        assert dump_db is db.dump_db and exp_drop is db.exp_drop
        for name in {list(database_operations.WRAPPERS)!r}:
            assert getattr(db, name).odoo_cloud_wraps.__module__ == "odoo.service.db"
        print("wrapped")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert result.stdout.strip() == "wrapped", result.stderr


def test_wrapping_twice_wraps_once():
    class Module:
        pass

    module = Module()
    for name in database_operations.WRAPPERS:
        setattr(module, name, lambda *args: "odoo")
    database_operations.install(module)
    wrapped = {name: getattr(module, name) for name in database_operations.WRAPPERS}
    database_operations.install(module)
    assert wrapped == {name: getattr(module, name) for name in wrapped}
