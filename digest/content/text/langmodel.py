"""py3langid's model, unpacked once per machine and mapped from the user's cache.

py3langid ships its model as LZMA-compressed arrays: unpacking them took 0.76 s of CPU at every
load, and a month's first build pays that on its way to the first image (the selection waits
for the model). Unpacked once into a folder of the user's cache (digest.core.machinecache, 68
MB) and mapped from there, a load takes about 0.05 s, and its largest table is read from disk
only where the texts judged need it. When that folder cannot be made or read, the model is
loaded from py3langid's own file, as before: the same judgements, only slower.
"""

from __future__ import annotations

import functools
import logging
from array import array
from pathlib import Path
from typing import Any

import numpy as np

from digest.core.machinecache import fingerprint, made_folder

log = logging.getLogger(__name__)

LAYOUT = b"py3langid arrays 1"  # in the folder's name: a change of the files below makes a new one
ARRAYS = ("ptc", "pc", "classes", "nextmove", "row", "output")
"""py3langid.modelio.load_model's six parts, one .npy file each."""
UNPACK_TIMEOUT = 60
TYPECODES = {2: "H", 4: "I", 8: "L"}  # unsigned, by item size: the stdlib arrays py3langid walks


def load_identifier() -> Any:
    """py3langid's LanguageIdentifier for its shipped model, normalised probabilities on."""
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    packed = Path(MODEL_DIR) / MODEL_FILE
    try:
        folder = made_folder("langid", fingerprint(LAYOUT, packed), functools.partial(_unpack, packed),
                             intact=_intact, make_timeout=UNPACK_TIMEOUT)
        ptc, pc, classes, nextmove, row, output = _mapped(folder)
        return LanguageIdentifier(ptc, pc, classes, nextmove, output, norm_probs=True, tk_row=row)
    except (OSError, ValueError, TypeError, KeyError) as exc:
        log.info("language model read from its packed file: %s", exc)
        return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _unpack(packed: Path, folder: Path) -> None:
    from py3langid.modelio import load_model

    for name, part in zip(ARRAYS, load_model(packed), strict=True):
        np.save(folder / f"{name}.npy", np.asarray(part, dtype=np.int32 if name == "output" else None),
                allow_pickle=False)


def _intact(folder: Path) -> bool:
    """Whether every file maps (one cut short, by a full disk or a copy, does not)."""
    try:
        _maps(folder)
    except (OSError, ValueError):
        return False
    return True


def _maps(folder: Path) -> list[np.ndarray]:
    return [np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False) for name in ARRAYS]


def _mapped(folder: Path) -> tuple[Any, ...]:
    """The six parts as load_model gives them: arrays mapped from the files, the automaton's
    tables as stdlib arrays, the labels and the outputs as lists."""
    ptc, pc, classes, nextmove, row, output = _maps(folder)
    return ptc, pc, classes.tolist(), _stdlib(nextmove), _stdlib(row), output.tolist()


def _stdlib(table: np.ndarray) -> array:
    if table.dtype.kind != "u":
        raise ValueError(f"unexpected {table.dtype} table in the language model")
    copied = array(TYPECODES[table.dtype.itemsize])
    copied.frombytes(np.ascontiguousarray(table).data.cast("B"))
    return copied
