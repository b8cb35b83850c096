"""Package one addon of the suite as a wheel, in the setuptools-odoo layout.

``setup/<addon>/odoo/addons/<addon>`` links to the addon. setuptools-odoo
itself stops at Odoo 16.0, so the metadata (name ``odoo-addon-<addon>``,
version, ``odoo==18.0.*`` and the manifest's external dependencies) comes from
manifestoo-core, the library OCA's own 17.0+ packaging uses.
"""

from pathlib import Path

import setuptools
from manifestoo_core.metadata import metadata_from_addon_dir


def setup_addon(setup_py):
    here = Path(setup_py).resolve().parent
    addon_dir = here / "odoo" / "addons" / here.name
    metadata = metadata_from_addon_dir(
        addon_dir, {"post_version_strategy_override": "none"}
    )
    package = f"odoo.addons.{here.name}"
    setuptools.setup(
        name=metadata["Name"],
        version=metadata["Version"],
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
