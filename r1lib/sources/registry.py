"""The data source a profile names (``data.source``): one object per stage run."""

from __future__ import annotations

from r1lib.core.profile import Profile
from r1lib.sources.base import DataSource
from r1lib.sources.micro.source import MicroSource
from r1lib.sources.real import RealSource

SOURCES: dict[str, type[DataSource]] = {"micro": MicroSource, "real": RealSource}


def open_source(profile: Profile) -> DataSource:
    """The profile's data source (``data.source``: ``micro`` or ``real``).

    Raises:
        KeyError: an unknown source name (the profile schema allows only the known ones).
    """
    return SOURCES[profile.data.source](profile)
