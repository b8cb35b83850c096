"""The session store through Sentinel (with a failover) and over TLS."""

import subprocess

import pytest

from local_platform.process import free_port, wait_until
from local_platform.redis_server import run_redis, run_sentinel_group
from local_platform.session_store import make_store
from odoo_cloud.errors import SessionStoreUnavailable


def test_sessions_survive_a_sentinel_failover(tmp_path):
    with run_sentinel_group(tmp_path) as group:
        # One sentinel without a port, as camptocamp's SENTINEL_HOST + _PORT.
        (first_host, first_port), *others = group.sentinels
        store = make_store(
            {
                "ODOO_SESSION_REDIS_SENTINEL_HOST": ",".join(
                    [first_host] + [f"{host}:{port}" for host, port in others]
                ),
                "ODOO_SESSION_REDIS_SENTINEL_PORT": str(first_port),
                "ODOO_SESSION_REDIS_SENTINEL_MASTER_NAME": group.master_name,
            }
        )
        session = store.new()
        session["uid"] = 2
        store.save(session)
        key = store.sessions.key(session.sid)
        with group.replica.client() as replica:
            wait_until(lambda: replica.exists(key), 10, "the session to replicate")

        old_master = group.current_master()
        group.master.kill()
        new_master = group.wait_for_failover(old_master)

        def read_after_failover():
            try:
                return store.get(session.sid).get("uid") == 2
            except SessionStoreUnavailable:
                return False  # the pool may still hold the dead master

        wait_until(read_after_failover, 10, "the store to follow the new master")
        later = store.new()
        store.save(later)
        with group.server_at(new_master).client() as master:
            assert master.exists(store.sessions.key(later.sid))


def test_sentinels_and_redis_with_passwords_of_their_own(tmp_path):
    with run_sentinel_group(
        tmp_path, password="redis-secret", sentinel_password="sentinel-secret"
    ) as group:
        environ = {
            "ODOO_SESSION_REDIS_SENTINEL_HOST": ",".join(
                f"{host}:{port}" for host, port in group.sentinels
            ),
            "ODOO_SESSION_REDIS_SENTINEL_MASTER_NAME": group.master_name,
            "ODOO_SESSION_REDIS_SENTINEL_PASSWORD": "sentinel-secret",
            "ODOO_SESSION_REDIS_PASSWORD": "redis-secret",
        }
        store = make_store(environ)
        session = store.new()
        session["uid"] = 2
        store.save(session)
        assert store.get(session.sid)["uid"] == 2
        with group.master.client() as master:
            assert master.exists(store.sessions.key(session.sid))

        sentinels = ", ".join(f"{host}:{port}" for host, port in group.sentinels)
        for password, refusal in [
            ("wrong", "ODOO_SESSION_REDIS_SENTINEL_PASSWORD refused"),
            ("", "a password is required (ODOO_SESSION_REDIS_SENTINEL_PASSWORD)"),
        ]:
            refused = make_store(
                environ | {"ODOO_SESSION_REDIS_SENTINEL_PASSWORD": password}
            )
            with pytest.raises(SessionStoreUnavailable) as error:
                refused.get(session.sid)
            assert str(error.value) == (
                f"Redis session store at {refused.sessions.address} is unreachable "
                f"(no sentinel names master 'odoo-cloud': {sentinels}: {refusal})"
            )


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def certificates(tmp_path):
    """A CA made for the test, and a server and a client certificate it signs."""
    openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        "-keyout", "ca.key", "-out", "ca.crt", "-subj", "/CN=odoo-cloud test CA",
        cwd=tmp_path,
    )  # fmt: skip
    (tmp_path / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    for name in ("server", "client"):
        openssl(
            "req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key",
            "-out", f"{name}.csr", "-subj", f"/CN={name}", cwd=tmp_path,
        )  # fmt: skip
        openssl(
            "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey",
            "ca.key", "-CAcreateserial", "-days", "1", "-out", f"{name}.crt",
            "-extfile", "san.ext", cwd=tmp_path,
        )  # fmt: skip
    return tmp_path


def test_tls_without_url(tmp_path, certificates):
    tls_port = free_port()
    config = (
        f"tls-port {tls_port}\n"
        f"tls-cert-file {certificates / 'server.crt'}\n"
        f"tls-key-file {certificates / 'server.key'}\n"
        f"tls-ca-cert-file {certificates / 'ca.crt'}\n"
        "tls-auth-clients yes\n"
    )
    with run_redis(tmp_path, name="redis-tls", config=config) as server:
        store = make_store(
            {
                "ODOO_SESSION_REDIS_HOST": "127.0.0.1",
                "ODOO_SESSION_REDIS_PORT": str(tls_port),
                "ODOO_SESSION_REDIS_TLS": "1",
                "ODOO_SESSION_REDIS_TLS_CA_FILE": str(certificates / "ca.crt"),
                "ODOO_SESSION_REDIS_TLS_CERT_FILE": str(certificates / "client.crt"),
                "ODOO_SESSION_REDIS_TLS_KEY_FILE": str(certificates / "client.key"),
            }
        )
        session = store.new()
        session["uid"] = 2
        store.save(session)
        assert store.get(session.sid)["uid"] == 2
        with server.client() as plain:
            assert plain.exists(store.sessions.key(session.sid))
        assert store.sessions.address.startswith(f"rediss://127.0.0.1:{tls_port}")

        without_ca = make_store(
            {
                "ODOO_SESSION_REDIS_HOST": "127.0.0.1",
                "ODOO_SESSION_REDIS_PORT": str(tls_port),
                "ODOO_SESSION_REDIS_TLS": "1",
            }
        )
        with pytest.raises(SessionStoreUnavailable, match="certificate verify"):
            without_ca.get(session.sid)
