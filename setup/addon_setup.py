"""Package one addon of the suite as a wheel for one Odoo series, in the
setuptools-odoo layout.

``setup/<addon>/odoo/addons/<addon>`` links to the addon. Its manifest
carries a version without a series (``1.0.0``), which every supported
series accepts, so the series is named at build time:
``ODOO_SERIES=19.0 pip wheel setup/<addon>`` builds
``odoo_addon_<addon>-19.0.1.0.0`` requiring ``odoo==19.0.*``.
setuptools-odoo itself stops at Odoo 16.0, so the rest of the metadata (name
``odoo-addon-<addon>``, the manifest's external dependencies) comes from
manifestoo-core, the library OCA's own 17.0+ packaging uses. The series it
accepts are the suite's list, read from the checkout the build runs in.
"""

import os
import sys
from pathlib import Path

import setuptools
from manifestoo_core.metadata import metadata_from_addon_dir

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from odoo_cloud_adapter.series import SUPPORTED_SERIES


def odoo_series():
    series = os.environ.get("ODOO_SERIES", "")
    if series not in SUPPORTED_SERIES:
        raise SystemExit(
            f"ODOO_SERIES={series!r}: name the Odoo series to build for, one of "
            f"{', '.join(SUPPORTED_SERIES)} "
            f"(ODOO_SERIES={SUPPORTED_SERIES[-1]} pip wheel setup/<addon>)"
        )
    return series


def setup_addon(setup_py):
    here = Path(setup_py).resolve().parent
    addon_dir = here / "odoo" / "addons" / here.name
    series = odoo_series()
    metadata = metadata_from_addon_dir(
        addon_dir,
        {"odoo_series_override": series, "post_version_strategy_override": "none"},
    )
    package = f"odoo.addons.{here.name}"
    setuptools.setup(
        name=metadata["Name"],
        version=f"{series}.{metadata['Version']}",
        description=metadata["Summary"],
        author=metadata["Author"],
        license=metadata["License"],
        classifiers=metadata.get_all("Classifier"),
        python_requires=metadata["Requires-Python"],
        install_requires=metadata.get_all("Requires-Dist"),
        packages=[package]
        + [f"{package}.{sub}" for sub in setuptools.find_namespace_packages(addon_dir)],
        package_dir={package: str(addon_dir.relative_to(here))},
        package_data={"": ["**/*"]},
        exclude_package_data={"": ["__pycache__/*", "*.pyc"]},
    )
