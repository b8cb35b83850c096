"""What the benchmarks run inside Odoo (``OdooInstance.call``): ``env`` is
the superuser environment of ``odoo-bin shell``."""

import os


def create_big_attachments(env, size):
    """One attachment of ``size`` random bytes in the database, one in s3: by
    location, its id and store_fname."""
    parameters, data = env["ir.config_parameter"], os.urandom(size)
    created = {}
    for location in ("db", "s3"):
        parameters.set_param("ir_attachment.location", location)
        attachment = env["ir.attachment"].create(
            {
                "name": f"big-{location}.bin",
                "raw": data,
                "mimetype": "application/octet-stream",
            }
        )
        created[location] = attachment.id, attachment.store_fname
    env.cr.commit()
    return created


def create_offloaded_attachment(env, size):
    """One attachment of ``size`` random bytes where the location says: its id
    and store_fname."""
    attachment = env["ir.attachment"].create(
        {
            "name": "offloaded.bin",
            "raw": os.urandom(size),
            "mimetype": "application/octet-stream",
        }
    )
    env.cr.commit()
    return attachment.id, attachment.store_fname


def create_random_files(env, location, count, size):
    """``count`` attachments of ``size`` random bytes in ``location``."""
    env["ir.config_parameter"].set_param("ir_attachment.location", location)
    env["ir.attachment"].create(
        [
            {"name": f"random-{n}.bin", "raw": os.urandom(size),
             "mimetype": "application/octet-stream"}
            for n in range(count)
        ]
    )  # fmt: skip
    env.cr.commit()
