from . import cloud_platform
