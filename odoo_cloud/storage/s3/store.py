"""Amazon S3 and S3-compatible stores (Exoscale, OVH, MinIO, Swift's s3api)."""

import contextlib
import functools

import boto3
import botocore.config
import botocore.exceptions

from ...clock import use_real_clock
from ...errors import ObjectNotFound, StorageError, StorageUnavailable
from ...unreachable import cause
from ..base import SIGNED_CACHE_CONTROL, ObjectBody, ObjectInfo, ObjectStore
from . import BACKEND

NOT_FOUND = {"404", "NoSuchKey", "NotFound", "NoSuchBucket"}
OUTAGES = (botocore.exceptions.ConnectionError, botocore.exceptions.HTTPClientError)
# A custom endpoint still needs a region to sign requests.
DEFAULT_REGION = "us-east-1"


@contextlib.contextmanager
def translated_errors(store, key):
    """Turn botocore's exceptions into the suite's, naming the object."""
    where = f"{store.location(key)}"
    try:
        yield
    except OUTAGES as error:
        endpoint = store.client.meta.endpoint_url
        raise StorageUnavailable(
            f"S3 unreachable for {where} ({cause(error)}; endpoint {endpoint})"
        ) from error
    except botocore.exceptions.ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code in NOT_FOUND:
            raise ObjectNotFound(f"{where} does not exist") from error
        if status >= 500 or code in {"SlowDown", "ServiceUnavailable"}:
            raise StorageUnavailable(f"S3 failed on {where}: {error}") from error
        raise StorageError(f"S3 refused {where}: {error}") from error


def client_from_config(config):
    """A boto3 S3 client for the ``AWS_*`` settings of ``config``.

    Without ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY`` boto3's own
    credential chain applies (web identity, instance profile, ...).
    """
    secret = config["AWS_SECRET_ACCESS_KEY"]
    credentials = {}
    if config["AWS_ACCESS_KEY_ID"] and secret:
        credentials = {
            "aws_access_key_id": config["AWS_ACCESS_KEY_ID"],
            "aws_secret_access_key": secret.reveal(),
        }
    endpoint = config["AWS_HOST"]
    region = config["AWS_REGION"] or (DEFAULT_REGION if endpoint else None)
    settings = botocore.config.Config(
        connect_timeout=config["AWS_CONNECT_TIMEOUT"],
        read_timeout=config["AWS_READ_TIMEOUT"],
        retries={
            "mode": config["AWS_RETRY_MODE"],
            "max_attempts": config["AWS_MAX_ATTEMPTS"],
        },
        s3={"addressing_style": config["AWS_ADDRESSING_STYLE"]},
        # Presigned URLs too: botocore signs them with SigV2 by default, which
        # AWS regions opened since 2014 refuse.
        signature_version="s3v4",
        max_pool_connections=max(10, config["ATTACHMENT_STORAGE_CONCURRENCY"]),
        # Many S3-compatible stores reject the checksum headers recent boto3
        # sends by default. What is uploaded is verified before (sha1).
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    verify = config["AWS_CA_BUNDLE"] or config["AWS_VERIFY"]
    # A session per client: boto3's default session is not safe across threads.
    client = boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        region_name=region,
        verify=verify,
        config=settings,
        **credentials,
    )
    # Signatures, presigned URLs, credential refreshes, adaptive retries.
    use_real_clock("botocore")
    return client


class S3Store(ObjectStore):
    """One S3 bucket, through a boto3 client shared by the process."""

    scheme = BACKEND.scheme

    def __init__(self, client, bucket, encryption=None, kms_key_id=None):
        super().__init__(bucket)
        self.client = client
        self.encryption = {}
        if encryption:
            self.encryption["ServerSideEncryption"] = encryption
        if kms_key_id:
            self.encryption["SSEKMSKeyId"] = kms_key_id

    @classmethod
    def from_config(cls, config, client, bucket):
        return cls(
            client,
            bucket,
            config["AWS_SERVER_SIDE_ENCRYPTION"],
            config["AWS_SSE_KMS_KEY_ID"],
        )

    def put(self, key, data, content_type=None):
        request = {
            "Bucket": self.bucket,
            "Key": key,
            "Body": data,
            "ContentType": content_type or "application/octet-stream",
            **self.encryption,
        }
        try:
            with translated_errors(self, key):
                self.client.put_object(**request)
        except ObjectNotFound:
            # The bucket is missing (NoSuchBucket): create it on the first
            # write, never on a read.
            self._create_bucket()
            with translated_errors(self, key):
                self.client.put_object(**request)

    def _create_bucket(self):
        try:
            self.client.create_bucket(Bucket=self.bucket)
        except botocore.exceptions.ClientError as error:
            # Another thread or process created it meanwhile.
            if error.response.get("Error", {}).get("Code") != "BucketAlreadyOwnedByYou":
                with translated_errors(self, ""):
                    raise

    def get(self, key):
        with translated_errors(self, key):
            return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def open(self, key, start=0, end=None):
        request = {"Bucket": self.bucket, "Key": key}
        if start or end is not None:
            last = "" if end is None else end - 1
            request["Range"] = f"bytes={start}-{last}"
        with translated_errors(self, key):
            body = self.client.get_object(**request)["Body"]
        return ObjectBody(body, functools.partial(translated_errors, self, key))

    def head(self, key):
        with translated_errors(self, key):
            reply = self.client.head_object(Bucket=self.bucket, Key=key)
        return ObjectInfo(
            key,
            reply["ContentLength"],
            reply["ETag"].strip('"'),
            reply["LastModified"],
            reply.get("ContentType", "application/octet-stream"),
        )

    def signed_url(self, key, lifetime, content_type, content_disposition):
        """A presigned GET of the client's endpoint (``AWS_HOST``), which the
        browser must reach; S3 answers with the headers given."""
        request = {
            "Bucket": self.bucket,
            "Key": key,
            "ResponseContentType": content_type,
            "ResponseContentDisposition": content_disposition,
            "ResponseCacheControl": SIGNED_CACHE_CONTROL,
        }
        return self.client.generate_presigned_url(
            "get_object", Params=request, ExpiresIn=lifetime
        )

    def delete(self, key):
        with translated_errors(self, key):
            self.client.delete_object(Bucket=self.bucket, Key=key)

    def list(self, prefix=""):
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix
        )
        with translated_errors(self, prefix):
            for page in pages:
                for entry in page.get("Contents", ()):
                    yield entry["Key"]
