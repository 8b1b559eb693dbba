"""Irish folk tunes as ABC text: O'Neill's "Music of Ireland" (Chicago, 1903), as music21 ships it.

The package `music21` (a musicology toolkit) carries a corpus of scores, among them Francis
O'Neill's collection of Irish tunes in ABC notation, transcribed by volunteers into 39 files in
`music21/corpus/oneills1850/` ("1850" is the number of tunes: the book's title is "O'Neill's
Music of Ireland: 1850 Melodies"). We read the text files directly: music21 is not even imported.

Some files overlap (two transcriptions of tunes 626-635, 732-758 and 1116-1135, and several
ranges listed twice); each tune number is kept once, from the first file in name order that has
it. A tune keeps its number, title, rhythm (R: field, e.g. "reel", lower-cased; "" when absent),
metre (M:), unit length (L:) and key (K:), and its melody lines with comments and trailing spaces
removed. `Tune.abc` is the text a language model reads: three header lines and the melody.
"""

import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path

from course_lib.data._package import MissingDataPackageError
from course_lib.data._splits import check_fractions, split_of

CORPUS = ("corpus", "oneills1850")
_FIELD = re.compile(r"^([A-Za-z]):\s*(.*?)\s*$")


@dataclass(frozen=True)
class Tune:
    number: int  # O'Neill's number, 1..1850 (from the B: field "O'Neill's 1646", else X:)
    title: str
    rhythm: str  # "reel", "jig", "hornpipe", ... lower case; "" if not given
    metre: str  # "6/8", "C|", "3/4", ...
    unit: str  # unit note length, "1/8" or "1/16"
    key: str  # "G", "Ador", "Dmix", ...
    melody: str  # the melody lines

    @property
    def abc(self) -> str:
        """The tune as a language model reads it: M:, L:, K: lines, then the melody."""
        return f"M:{self.metre}\nL:{self.unit}\nK:{self.key}\n{self.melody}\n"


@dataclass(frozen=True)
class TuneData:
    """A tune collection with fixed train / validation / test splits (lists of Tune)."""

    name: str
    train: list
    val: list
    test: list


def load_oneills_tunes(val_fraction: float = 0.1, test_fraction: float = 0.1) -> TuneData:
    """O'Neill's tunes from the package `music21`, split by a hash of the tune number.

    Only tunes with a number, a metre, a unit length, a key and a melody are kept. Within a split,
    tunes are in O'Neill's order.

    Returns:
        TuneData named "oneills1850" with 1,722 tunes (the files of music21 10.5.1 lack the other
        128 numbers), 442,111 characters of `abc` text; with the default fractions 1,401 / 152 /
        169 tunes.
    """
    check_fractions(val_fraction, test_fraction)
    root = _package_folder("music21", "load_oneills_tunes").joinpath(*CORPUS)
    if not root.is_dir():
        raise FileNotFoundError(
            "load_oneills_tunes(): expected the folder corpus/oneills1850 inside the package 'music21', "
            "but it is not there; the installed version may differ from the pinned one."
        )
    tunes = {}
    for path in sorted((p for p in root.iterdir() if p.name.endswith(".abc")), key=lambda p: p.name):
        for tune in parse_collection(path.read_text(encoding="utf-8", errors="replace")):
            tunes.setdefault(tune.number, tune)
    rows = {"train": [], "val": [], "test": []}
    for number in sorted(tunes):
        rows[split_of(str(number), val_fraction, test_fraction, salt="oneills")].append(tunes[number])
    return TuneData("oneills1850", rows["train"], rows["val"], rows["test"])


def _package_folder(package: str, loader: str) -> Path:
    """The installed folder of `package`, found without importing it.

    Importing music21 inside a notebook switches Matplotlib's inline figures to double resolution
    ("retina") a second later; reading its corpus files needs none of its code.
    """
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):  # ValueError: a module set to None in sys.modules
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise MissingDataPackageError(
            f"{loader}() reads its data from the package '{package}', which is not installed. Install "
            "the course with `make lab` or `pip install -e .`, or the package alone with "
            f"`pip install {package}`."
        )
    return Path(spec.submodule_search_locations[0])


def parse_collection(text: str) -> list:
    """Every tune of an ABC file with a number (B: or X:), M:, L:, K: and a melody (others are skipped)."""
    out = []
    for block in re.split(r"\n(?=X:)", text.replace("\r\n", "\n").replace("\r", "\n")):
        tune = _tune(block)
        if tune is not None:
            out.append(tune)
    return out


def _tune(block: str):
    fields, melody, in_melody = {}, [], False
    for line in block.split("\n"):
        line = line.split("%", 1)[0].rstrip()
        m = _FIELD.match(line)
        if not in_melody:
            if m:
                fields.setdefault(m.group(1), m.group(2))
                in_melody = m.group(1) == "K"
            continue
        if not line.strip():
            if melody:
                break  # a blank line ends the tune
            continue
        melody.append(line)
    book = re.search(r"O'Neill's\s*(\d+)", fields.get("B", ""))  # the book's number, when given
    number = book.group(1) if book else fields.get("X", "")
    if not all(k in fields for k in "MLK") or not melody or not number.isdigit():
        return None
    return Tune(int(number), fields.get("T", ""), fields.get("R", "").lower(), fields["M"],
                fields["L"], fields["K"], "\n".join(melody))
