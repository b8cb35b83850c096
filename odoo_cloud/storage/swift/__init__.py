"""OpenStack Swift (OVH, Infomaniak, any OpenStack cloud), through
python-swiftclient: the backend's descriptor. The store is in :mod:`.store`."""

from ...extras import Extra
from ...variable import Variable, choice, integer, seconds, text, url
from ..descriptor import Backend, NameRule

# Swift's default limit on one object, and so on one segment.
MAX_OBJECT_SIZE = 5 * 1024**3

# The store module imports swiftclient, an extra of odoo-cloud: it is imported
# when the first store is built, not with this descriptor, which every
# configuration reads.


def _client(config):
    from .store import client_from_config

    return client_from_config(config)


def _store(config, client, bucket):
    from .store import SwiftStore

    return SwiftStore.from_config(config, client, bucket)


BACKEND = Backend(
    scheme="swift",
    addon="attachment_swift",
    title="Swift",
    bucket_variable="SWIFT_WRITE_CONTAINER",
    bucket_noun="container",
    settings=(
        Variable(
            "SWIFT_AUTH_URL",
            url("https", "http"),
            help="Swift authentication URL.",
        ),
        Variable(
            "SWIFT_AUTH_VERSION",
            choice("1.0", "2.0", "3"),
            default="3",
            help="Login protocol: `1.0` (tempauth), `2.0` or `3` (keystone).",
        ),
        Variable(
            "SWIFT_ACCOUNT",
            text,
            help="Swift user name (`account:user` with tempauth).",
        ),
        Variable(
            "SWIFT_PASSWORD",
            text,
            secret=True,
            help="Swift password.",
        ),
        Variable(
            "SWIFT_PROJECT_NAME",
            text,
            help="Keystone project (tenant) holding the containers.",
            aliases=("SWIFT_TENANT_NAME",),
        ),
        Variable(
            "SWIFT_REGION_NAME",
            text,
            help="Keystone region of the object-store endpoint; unset: the first.",
        ),
        Variable(
            "SWIFT_USER_DOMAIN_NAME",
            text,
            default="Default",
            help="Keystone v3 domain of the user.",
        ),
        Variable(
            "SWIFT_PROJECT_DOMAIN_NAME",
            text,
            default="Default",
            help="Keystone v3 domain of the project.",
        ),
        Variable(
            "SWIFT_CONNECT_TIMEOUT",
            seconds,
            default=5,
            help="Connect timeout in seconds (keystone logins use the read timeout).",
        ),
        Variable(
            "SWIFT_READ_TIMEOUT",
            seconds,
            default=60,
            help="Read timeout in seconds.",
        ),
        Variable(
            "SWIFT_LARGE_OBJECT_SIZE",
            integer(1, MAX_OBJECT_SIZE, unit="a number of bytes"),
            default=1024**3,
            help="Bytes above which content is stored as a static large object "
            "(segments).",
        ),
        Variable(
            "SWIFT_SEGMENT_SIZE",
            integer(1024**2, MAX_OBJECT_SIZE, unit="a number of bytes"),
            default=1024**3,
            help="Bytes per segment of a static large object.",
        ),
        Variable(
            "SWIFT_TEMP_URL_KEY",
            text,
            secret=True,
            help="Key signing the temporary URLs of downloads offloaded to Swift "
            "(`ATTACHMENT_STORAGE_REDIRECT`); made the container's temp URL key.",
        ),
    ),
    connect=_client,
    store=_store,
    credentials=(("SWIFT_AUTH_URL", "SWIFT_ACCOUNT", "SWIFT_PASSWORD"),),
    extra=Extra("swift", ("swiftclient", "keystoneauth1")),
    signing=("SWIFT_TEMP_URL_KEY",),
    bucket_names=NameRule(r"[^/]{1,256}", "up to 256 characters, no '/'"),
)
