"""Azurite, Microsoft's Azure Storage emulator: the Azure Blob Storage
endpoint of the tests.

Its npm package is installed by ``make setup`` under the suite's environment
(``.venv/npm``), and runs on the machine's Node.js. Only the blob service is
started, on a free loopback port, with its data in a directory of the test
session, so that a stop and a start (an outage) keep the blobs.
"""

import http.client
import os
import ssl
import subprocess
import sys
from pathlib import Path

from azure.storage.blob import BlobServiceClient

from .errors import Unavailable
from .process import HOST, RestartableServer, free_port, require_binary, running

# Azurite's well-known development account (the same in every installation).
ACCOUNT_NAME = "devstoreaccount1"
ACCOUNT_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/"
    "K1SZFPTOtr/KBHBeksoGMGw=="
)
NPM_PREFIX = Path(sys.prefix) / "npm"


def azurite_blob():
    """The ``azurite-blob`` command ``make setup`` installs;
    :class:`Unavailable` when it is not there."""
    installed = NPM_PREFIX / "node_modules" / ".bin" / "azurite-blob"
    if not os.access(installed, os.X_OK):
        raise Unavailable(
            f"azurite is not installed in {NPM_PREFIX} (run `make setup`)"
        )
    return str(installed)


class AzuriteServer(RestartableServer):
    """Azurite's blob service, stoppable and started again on the same port
    with the same blobs."""

    account_name = ACCOUNT_NAME
    account_key = ACCOUNT_KEY
    name = "azurite"

    def __init__(self, base_dir, oauth=False):
        self.binary = azurite_blob()
        self.dir = Path(base_dir)
        self.data_dir = self.dir / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.dir / "azurite.log"
        self.host = HOST
        self.port = free_port()
        # Entra ID tokens (Azurite checks their claims, not their signature),
        # which Azure's clients send over HTTPS only: a certificate of its own,
        # which :attr:`certificate` names for the clients to trust.
        self.oauth = oauth
        self.certificate = self.dir / "certificate.pem"
        self.key = self.dir / "key.pem"
        if oauth:
            self._make_certificate()

    @property
    def scheme(self):
        return "https" if self.oauth else "http"

    @property
    def account_url(self):
        """The blob endpoint of the account: Azurite names it in the path."""
        return f"{self.scheme}://{self.host}:{self.port}/{self.account_name}"

    @property
    def connection_string(self):
        return (
            f"DefaultEndpointsProtocol={self.scheme};"
            f"AccountName={self.account_name};AccountKey={self.account_key};"
            f"BlobEndpoint={self.account_url};"
        )

    def client(self):
        """A raw BlobServiceClient that fails at once instead of retrying."""
        return BlobServiceClient.from_connection_string(
            self.connection_string,
            retry_total=0,
            connection_verify=str(self.certificate) if self.oauth else True,
        )

    def _make_certificate(self):
        subprocess.run(
            [
                require_binary("openssl"), "req", "-x509", "-newkey", "rsa:2048",
                "-nodes", "-days", "2", "-subj", f"/CN={self.host}",
                "-addext", f"subjectAltName=IP:{self.host}",
                "-keyout", self.key, "-out", self.certificate,
            ],
            check=True,
            capture_output=True,
        )  # fmt: skip

    def environ(self, **extra):
        """The suite's ``AZURE_STORAGE_*`` variables for this server, logged
        in with the account name and key; requests are not retried."""
        return {
            "AZURE_STORAGE_ACCOUNT_URL": self.account_url,
            "AZURE_STORAGE_ACCOUNT_NAME": self.account_name,
            "AZURE_STORAGE_ACCOUNT_KEY": self.account_key,
            "AZURE_STORAGE_MAX_ATTEMPTS": "1",
            **extra,
        }

    def answers(self):
        """Whether the blob service answers HTTP, whatever the answer (an
        unsigned request is refused)."""
        if self.oauth:
            context = ssl.create_default_context(cafile=self.certificate)
            connection = http.client.HTTPSConnection(
                self.host, self.port, timeout=2, context=context
            )
        else:
            connection = http.client.HTTPConnection(self.host, self.port, timeout=2)
        try:
            connection.request("GET", f"/{self.account_name}?comp=list")
            connection.getresponse().read()
            return True
        except (OSError, http.client.HTTPException):
            return False
        finally:
            connection.close()

    def command(self):
        oauth = ("--oauth", "basic", "--cert", self.certificate, "--key", self.key)
        return [
            self.binary,
            *("--blobHost", self.host, "--blobPort", self.port),
            *("--location", self.data_dir),
            "--skipApiVersionCheck",
            "--disableTelemetry",
            "--loose",
            *(oauth if self.oauth else ()),
        ]


def run_azurite(base_dir, oauth=False):
    """A started AzuriteServer keeping its data under ``base_dir``, stopped on
    exit; with ``oauth``, on HTTPS, taking Entra ID tokens too."""
    return running(AzuriteServer(base_dir, oauth))
