"""A real moto server, the S3 (and other AWS) endpoint of the tests.

moto runs as a separate HTTP server rather than in-process decorators so that
the code under test talks to it over the network exactly as it would to AWS,
through its own boto3 clients configured with ``endpoint_url``.
"""

import contextlib
import http.client
import sys
from http import HTTPStatus

import boto3

from .errors import ServerFailed
from .process import HOST, RestartableServer, free_port, running

# moto accepts any credentials; fixed ones keep the tests reproducible and
# never reach a real account.
ACCESS_KEY_ID = "testing"
SECRET_ACCESS_KEY = "testing"
REGION = "us-east-1"


class MotoServer(RestartableServer):
    """A moto server that can be stopped and started again on the same port.

    A restart loses every bucket and object: moto keeps them in memory.
    """

    access_key_id = ACCESS_KEY_ID
    secret_access_key = SECRET_ACCESS_KEY
    region = REGION

    name = "moto"

    def __init__(self, base_dir):
        self.dir = base_dir
        self.log_path = base_dir / "moto.log"
        self.host = HOST
        self.port = free_port()

    @property
    def endpoint_url(self):
        return f"http://{self.host}:{self.port}"

    @property
    def credentials(self):
        """Keyword arguments for boto3.client / boto3.resource."""
        return {
            "endpoint_url": self.endpoint_url,
            "aws_access_key_id": self.access_key_id,
            "aws_secret_access_key": self.secret_access_key,
            "region_name": self.region,
        }

    def client(self, service="s3"):
        return boto3.client(service, **self.credentials)

    def request(self, method, path):
        """The HTTP status of ``method path``, straight to the server (no proxy)."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            connection.request(method, path)
            return connection.getresponse().status
        finally:
            connection.close()

    def answers(self):
        with contextlib.suppress(OSError, http.client.HTTPException):
            return self.request("GET", "/moto-api/data.json") == HTTPStatus.OK
        return False

    def reset(self):
        """Forget every resource, so that a test starts from an empty account."""
        status = self.request("POST", "/moto-api/reset")
        if status != HTTPStatus.OK:
            raise ServerFailed(f"moto reset answered {status}")

    def command(self):
        # sys.executable: the moto installed with the tests' own interpreter.
        return [sys.executable, "-m", "moto.server", "-H", self.host, "-p", self.port]


def run_moto(base_dir):
    """A started MotoServer logging under ``base_dir``, stopped on exit."""
    return running(MotoServer(base_dir))
