"""Finding data files that ship inside an installed package, with a clear error when it is absent."""

import importlib
import importlib.resources
from importlib.resources.abc import Traversable


class MissingDataPackageError(ImportError):
    """A loader's data package is not installed."""


def package_files(package: str, pip_name: str, loader: str) -> Traversable:
    """The root of an installed package's files.

    Raises:
        MissingDataPackageError: naming the loader, the package and how to install it.
    """
    try:
        module = importlib.import_module(package)
    except ImportError as err:
        raise MissingDataPackageError(
            f"{loader}() reads its data from the package '{pip_name}', which is not installed "
            f"(import {package!r} failed: {err}). Install the course with `make lab` or "
            f"`pip install -e .`, or the package alone with `pip install {pip_name}`."
        ) from err
    return importlib.resources.files(module)


def read_text(package: str, pip_name: str, loader: str, *parts: str) -> str:
    """Text of the file `parts` inside `package` (UTF-8)."""
    path = package_files(package, pip_name, loader).joinpath(*parts)
    if not path.is_file():
        raise FileNotFoundError(
            f"{loader}(): expected the file {'/'.join(parts)} inside the package '{pip_name}', "
            "but it is not there; the installed version may differ from the pinned one."
        )
    return path.read_text(encoding="utf-8")
