"""Amazon S3 and S3-compatible stores (Exoscale, OVH, MinIO, Swift's s3api),
through boto3: the backend's descriptor. The store is in :mod:`.store`."""

from ...extras import Extra
from ...variable import Variable, boolean, choice, integer, seconds, text, url
from ..descriptor import Backend, NameRule

# The store module imports boto3, an extra of odoo-cloud: it is imported
# when the first store is built, not with this descriptor, which every
# configuration reads.


def _client(config):
    from .store import client_from_config

    return client_from_config(config)


def _store(config, client, bucket):
    from .store import S3Store

    return S3Store.from_config(config, client, bucket)


BACKEND = Backend(
    scheme="s3",
    addon="attachment_s3",
    title="S3",
    bucket_variable="AWS_BUCKETNAME",
    bucket_noun="bucket",
    settings=(
        Variable(
            "AWS_HOST",
            url("https", "http", default_scheme="https"),
            help="S3 endpoint; https:// is assumed when no scheme is given.",
        ),
        Variable(
            "AWS_REGION",
            text,
            help="S3 region.",
        ),
        Variable(
            "AWS_ACCESS_KEY_ID",
            text,
            help="S3 access key; boto3's credential chain is used when unset.",
        ),
        Variable(
            "AWS_SECRET_ACCESS_KEY",
            text,
            secret=True,
            help="S3 secret key.",
        ),
        Variable(
            "AWS_ADDRESSING_STYLE",
            choice("auto", "path", "virtual"),
            default="auto",
            help="Bucket in the host name (virtual) or in the path (path).",
        ),
        Variable(
            "AWS_SERVER_SIDE_ENCRYPTION",
            choice("AES256", "aws:kms"),
            help="Server-side encryption of new objects.",
        ),
        Variable(
            "AWS_SSE_KMS_KEY_ID",
            text,
            help="KMS key of `aws:kms` encryption; the bucket's default key "
            "when unset.",
        ),
        Variable(
            "AWS_VERIFY",
            boolean,
            default=True,
            help="Verify the endpoint's TLS certificate.",
        ),
        Variable(
            "AWS_CA_BUNDLE",
            text,
            help="CA bundle file to verify the endpoint's certificate with.",
        ),
        Variable(
            "AWS_CONNECT_TIMEOUT",
            seconds,
            default=5,
            help="Connect timeout in seconds.",
        ),
        Variable(
            "AWS_READ_TIMEOUT",
            seconds,
            default=60,
            help="Read timeout in seconds.",
        ),
        Variable(
            "AWS_RETRY_MODE",
            choice("standard", "adaptive", "legacy"),
            default="standard",
            help="botocore retry mode.",
        ),
        Variable(
            "AWS_MAX_ATTEMPTS",
            integer(1, 20),
            default=3,
            help="Attempts per request, the first included.",
        ),
    ),
    connect=_client,
    store=_store,
    extra=Extra("s3", ("boto3",)),
    bucket_names=NameRule(
        r"[A-Za-z0-9._-]{1,255}",
        "up to 255 letters, digits, '.', '-' and '_' (what boto3 sends; AWS "
        "itself wants 3 to 63 lowercase letters, digits, '.' and '-')",
    ),
)
