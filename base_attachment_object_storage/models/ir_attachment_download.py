"""Downloads of ``ir.attachment`` content held in an object store: streamed
from the store, only the bytes sent, ranges included; or, for large private
content, offloaded to the store (:mod:`..download_redirect`)."""

import functools
import logging

from odoo import models
from odoo.http import Stream, request
from werkzeug.http import parse_content_range_header
from werkzeug.wsgi import wrap_file

from odoo_cloud.errors import ObjectNotFound, StorageUnavailable
from odoo_cloud.storage import READ_SIZE, Location

from ..download_redirect import redirect_response
from ..settings import stores
from .ir_attachment import ObjectStorageUnavailable

_logger = logging.getLogger(__name__)


def unavailable(attachment_id, error):
    """The 503 of a download the store cannot serve now, logged."""
    _logger.error(
        "Attachment %s cannot be downloaded now: %s; answering 503.",
        attachment_id,
        error,
    )
    return ObjectStorageUnavailable("The file storage is unavailable, try again later.")


class ObjectStream(Stream):
    """An object's content, downloaded only if something reads it.

    It is a ``'data'`` stream so that ``ir.binary`` handles it as it handles
    content Odoo holds itself: it names the download (forced filename, the
    record's name, ``{table}-{id}-{field}``, an extension from the mimetype)
    and resizes images. ``data`` is fetched from the store on first read
    (mimetype guessing, resizing, :meth:`read`) and can be replaced (a resized
    image); a response whose ``data`` was never read streams the object
    instead: only the bytes sent are downloaded, ranges included.
    """

    type = "data"
    _data = None

    @property
    def data(self):
        if self._data is None:
            self._data = self.fetch()
        return self._data

    @data.setter
    def data(self, data):
        self._data = data

    def get_response(self, as_attachment=None, immutable=None, **send_file_kwargs):
        if self._data is not None:
            return super().get_response(as_attachment, immutable, **send_file_kwargs)
        # Odoo builds the headers (type, disposition, cache, CSP) on an empty
        # body; the object's body then goes through werkzeug's conditional
        # handling, which answers Range requests by seeking the reader.
        conditional = send_file_kwargs.pop("conditional", self.conditional)
        headers_only = Stream(**{**vars(self), "type": "data", "data": b""})
        response = headers_only.get_response(
            as_attachment, immutable, **send_file_kwargs, conditional=False
        )
        environ = request.httprequest.environ
        reader = self.store.reader(self.key, self.size)
        response.response = wrap_file(environ, reader, READ_SIZE)
        response.content_length = self.size
        if conditional:
            response = response.make_conditional(
                environ, accept_ranges=True, complete_length=self.size
            )
        offloaded = redirect_response(self, response)
        if offloaded:
            return offloaded
        if response.status_code in (200, 206) and environ["REQUEST_METHOD"] != "HEAD":
            self._read_ahead(reader, response)
        return response

    def _read_ahead(self, reader, response):
        """Fetch the body's first bytes now, while a failing store can still
        be answered 503: read once the headers are out, it would get werkzeug's
        500, or a cut body."""
        if response.status_code == 206:  # werkzeug seeks to the range's start too
            reader.seek(
                parse_content_range_header(response.headers["Content-Range"]).start
            )
        try:
            reader.peek(1)
        except StorageUnavailable as error:
            raise unavailable(self.attachment_id, error) from error


class IrAttachment(models.Model):
    _inherit = "ir.attachment"

    def _to_http_stream(self):
        location = Location.parse(self.store_fname)
        if location is None:
            return super()._to_http_stream()
        self._check_storage_enabled()
        store = stores().at(location)
        try:
            info = store.head(location.key)
        except ObjectNotFound:
            _logger.warning("attachment %s missing in the object store: %s",
                            self.id, self.store_fname)  # fmt: skip
            # As Odoo does for a file missing from the filestore: empty content.
            return Stream(type="data", data=b"", size=0, mimetype=self.mimetype,
                          download_name=self.name, etag=self.checksum)  # fmt: skip
        except StorageUnavailable as error:
            raise unavailable(self.id, error) from error
        return ObjectStream(
            attachment_id=self.id,
            fetch=functools.partial(self._file_read, self.store_fname),
            store=store,
            key=location.key,
            mimetype=self.mimetype,
            download_name=self.name,
            etag=self.checksum,
            # As Odoo sends for content it keeps in the database; the store's
            # upload time is another date (Swift rounds it up to the second).
            last_modified=self.write_date,
            size=info.size,
            public=self.public,
        )
