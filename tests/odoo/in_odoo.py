"""What the Odoo-tier tests run inside Odoo (``OdooInstance.call``): ``env``
is the superuser environment of ``odoo-bin shell`` (a function without one
runs in the tree's Python, ``OdooTree.call``), the other arguments and the
result are JSON. Each function commits what it means to keep: the shell rolls
back the rest."""

import base64
import os
from datetime import timezone


def option_variables():
    """The variable each of Odoo's options reads (None: none), without a
    database."""
    from odoo.tools import config

    options = config.parser._get_all_options()
    return [getattr(option, "env_name", None) for option in options]


def create_attachment(env, name, data_b64):
    raw = base64.b64decode(data_b64)
    attachment = env["ir.attachment"].create({"name": name, "raw": raw})
    env.cr.commit()
    return {"id": attachment.id, "store_fname": attachment.store_fname}


def force_storage(env):
    """Move every attachment to where ``ir_attachment.location`` says."""
    env["ir.attachment"].force_storage()
    env.cr.commit()


def collect_garbage(env):
    env["ir.attachment"]._gc_object_storage()


def load_database(env):
    """Nothing: what fails, if anything, is loading the database."""


def load_again_everywhere(env):
    """Have every process serving the database load it again at its next
    request, as after an addon's installation."""
    env.registry.registry_invalidated = True
    env.registry.signal_changes()


def create_text_files(env, prefix, count, repeat):
    """``count`` text attachments ``<prefix><n>.txt``, each its own content;
    where new content goes (``_storage``)."""
    env["ir.attachment"].create(
        [
            {
                "name": f"{prefix}{n}.txt",
                "raw": f"{prefix} {n} ".encode() * repeat,
                "mimetype": "text/plain",
            }
            for n in range(count)
        ]
    )
    env.cr.commit()
    return env["ir.attachment"]._storage()


def create_files_and_stylesheets(env, files, stylesheets):
    """``files`` text files and ``stylesheets`` small stylesheets (which the
    default rules keep in the database)."""
    create_text_files(env, "file", files, 20)
    env["ir.attachment"].create(
        [
            {
                "name": f"style{n}.css",
                "raw": f"p {{ order: {n} }}".encode(),
                "mimetype": "text/css",
            }
            for n in range(stylesheets)
        ]
    )
    env.cr.commit()


def create_partner_image(env, image_b64):
    """A partner with ``image_1920``: the attachment of that field."""
    partner = env["res.partner"].create({"name": "Image", "image_1920": image_b64})
    env.cr.commit()
    field = env["ir.attachment"].search(
        [
            ("res_model", "=", "res.partner"),
            ("res_id", "=", partner.id),
            ("res_field", "=", "image_1920"),
        ]
    )
    return {"store_fname": field.store_fname, "checksum": field.checksum}


def create_rolled_back(env, data_b64):
    env["ir.attachment"].create({"name": "rollback", "raw": base64.b64decode(data_b64)})
    env.cr.rollback()


def unlink(env, attachment_id):
    env["ir.attachment"].browse(attachment_id).unlink()
    env.cr.commit()


def unlink_rolled_back(env, attachment_id):
    env["ir.attachment"].browse(attachment_id).unlink()
    env.cr.rollback()


def unlink_one_of_twins(env, attachment_id):
    """Copy the attachment (same content, so same key), then unlink it."""
    attachment = env["ir.attachment"].browse(attachment_id)
    attachment.copy({"name": "twin"})
    env.cr.commit()
    attachment.unlink()
    env.cr.commit()


def read_with_storage_disabled(env, ids):
    """Read ``ids`` twice each (every error raised), and create one
    attachment: its location and database content."""
    records = env["ir.attachment"].browse(ids)
    new = env["ir.attachment"].create({"name": "disabled", "raw": b"goes to the db"})
    errors = []
    for _ in range(2):
        for record in records:
            record.invalidate_recordset()
            try:
                record.raw  # noqa: B018
            except Exception as error:
                errors.append(str(error))
    return {"new": [new.store_fname, new.db_datas.decode()], "errors": errors}


def create_download_records(env, images):
    """Attachments and partner images of every kind ``ir.binary`` names a
    download for, each in the filestore dated at its write date: by name,
    the id in the URL and the attachment served."""
    Attachment = env["ir.attachment"]
    raw = [base64.b64decode(image) for image in images]
    attachments = {
        "gizeh": Attachment.create({"name": "gizeh.png", "raw": raw[0]}),
        "no extension": Attachment.create({"name": "glyph", "raw": raw[1]}),
        "newlines": Attachment.create({"name": "first\nsecond\r.png", "raw": raw[2]}),
        "no name": Attachment.create({"name": "", "raw": raw[3]}),
        "text": Attachment.create({"name": "notes.txt", "raw": b"notes " * 20000}),
    }
    partners = {
        "earth": env["res.partner"].create({"name": "Earth", "image_1920": images[4]}),
        "partner without a name": env["res.partner"].create(
            {"type": "invoice", "image_1920": images[5]}
        ),
    }
    served = {
        key: (attachment.id, attachment) for key, attachment in attachments.items()
    }
    for key, partner in partners.items():
        field = Attachment.search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", partner.id),
                ("res_field", "=", "image_1920"),
            ]
        )
        served[key] = (partner.id, field)
    env.cr.commit()
    # Odoo's filestore answers Last-Modified with the file's modification
    # time; a bucket answers the write date, as Odoo does for content in the
    # database. The file is written a moment after the write date (the start
    # of the transaction), sometimes in the next second: dated at the write
    # date, it makes Last-Modified and If-Modified-Since comparable exactly.
    for _id, attachment in served.values():
        stamp = attachment.write_date.replace(tzinfo=timezone.utc).timestamp()
        os.utime(attachment._full_path(attachment.store_fname), (stamp, stamp))
    return {
        key: {
            "id": record_id,
            "attachment": attachment.id,
            "checksum": attachment.checksum,
            "store_fname": attachment.store_fname,
        }
        for key, (record_id, attachment) in served.items()
    }


def create_redirect_records(env):
    """A portal user (login and password "portal") and three PDF attachments:
    a large private one, a small one and a large public one; by kind, their id
    and store_fname."""
    from odoo.tests import new_test_user

    new_test_user(env, "portal", groups="base.group_portal", password="portal")

    def pdf(size):
        return b"%PDF-1.4\n" + os.urandom(size)

    Attachment = env["ir.attachment"]
    records = {
        "large": Attachment.create({"name": "résumé 2026.pdf", "raw": pdf(2 << 20)}),
        "small": Attachment.create({"name": "small.pdf", "raw": pdf(100_000)}),
        "public": Attachment.create(
            {"name": "public.pdf", "raw": pdf(2 << 20), "public": True}
        ),
    }
    env.cr.commit()
    return {
        key: {"id": record.id, "store_fname": record.store_fname}
        for key, record in records.items()
    }


def roll_back_to_filestore(env):
    """Set the location to the filestore and move every attachment there;
    where new content goes then."""
    env["ir.config_parameter"].set_param("ir_attachment.location", "file")
    env["ir.attachment"].force_storage()
    env.cr.commit()
    return env["ir.attachment"]._storage()


def create_users_and_files(env, files):
    """An internal and a portal user (their login is their password), and
    ``files`` text attachments; where new content goes."""
    from odoo.tests import new_test_user

    new_test_user(env, "internal", groups="base.group_user", password="internal")
    new_test_user(env, "portal", groups="base.group_portal", password="portal")
    return create_text_files(env, "operator", files, 50)


def notify_admin(env, notification_type, payload):
    """A bus notification to the administrator's partner."""
    partner = env.ref("base.partner_admin")
    env["bus.bus"]._sendone(partner, notification_type, payload)
    env.cr.commit()


def device_revocations(env, user_id):
    """Whether each device log of the user is revoked, by session identifier."""
    logs = env["res.device.log"].search([("user_id", "=", user_id)])
    return {log.session_identifier: log.revoked for log in logs}


def read_attachments(env):
    """``{name: [store_fname, base64 content]}`` of the test's attachments."""
    found = env["ir.attachment"].search([("name", "=like", "file-%")])
    return {a.name: [a.store_fname, base64.b64encode(a.raw).decode()] for a in found}


def create_named_files(env, files):
    """An attachment per ``{name: base64 content}``; then as
    :func:`read_attachments`."""
    attachments = env["ir.attachment"]
    for name, data in files.items():
        attachments.create({"name": name, "raw": base64.b64decode(data)})
    env.cr.commit()
    return read_attachments(env)


def unlink_and_collect(env, name):
    """Delete the attachment ``name`` (if any) and collect the garbage; then
    as :func:`read_attachments`."""
    env["ir.attachment"].search([("name", "=", name)]).unlink()
    env.cr.commit()
    env["ir.attachment"]._gc_object_storage()
    return read_attachments(env)
