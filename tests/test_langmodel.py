"""The language model unpacked into the user's cache (digest.content.text.langmodel): the same
judgements as py3langid's own load, made once and mapped after, made again when damaged, and
py3langid's packed file when the cache cannot be written.

Each test has a user's cache of its own.
"""

from __future__ import annotations

import logging

import pytest
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from digest.content.text.langmodel import ARRAYS, load_identifier

TEXTS = (
    "The quick brown fox jumps over the lazy dog, then keeps running through the field.",
    "Der schnelle braune Fuchs springt über den faulen Hund und läuft weiter über das Feld.",
    "Le renard brun rapide saute par-dessus le chien paresseux, puis court dans le champ.",
    "Быстрая коричневая лиса прыгает через ленивую собаку и бежит дальше по полю.",
    "速い茶色の狐がのろまな犬を飛び越えて、野原を走り続ける。",
    "",
)


@pytest.fixture(scope="module")
def packed():
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path / "digest"


def folders(cache):
    return sorted(cache.glob("langid-*"))


def test_the_unpacked_model_judges_as_the_packed_one_and_is_made_once(cache, packed):
    first = load_identifier()
    [folder] = folders(cache)
    assert sorted(path.stem for path in folder.iterdir()) == sorted(ARRAYS)
    stamps = {path.name: path.stat().st_mtime_ns for path in folder.iterdir()}
    again = load_identifier()
    assert {path.name: path.stat().st_mtime_ns for path in folder.iterdir()} == stamps  # read, not made again
    for text in TEXTS:
        assert first.classify(text) == packed.classify(text) == again.classify(text)
    assert packed.classify(TEXTS[1])[0] == "de"


def test_a_damaged_model_is_made_again(cache, packed, caplog):
    load_identifier()
    [folder] = folders(cache)
    table = folder / "nextmove.npy"
    table.write_bytes(table.read_bytes()[:4096])  # cut short, as by a full disk
    with caplog.at_level(logging.INFO, logger="digest.core.machinecache"):
        identifier = load_identifier()
    assert "damaged" in caplog.text
    assert identifier.classify(TEXTS[2]) == packed.classify(TEXTS[2])
    assert table.stat().st_size > 4096


def test_a_cache_that_is_a_file_reads_the_packed_model(cache, packed, caplog):
    cache.write_text("not a folder")  # a cache that cannot be written, even by root
    with caplog.at_level(logging.INFO, logger="digest.content.text.langmodel"):
        identifier = load_identifier()
    assert "packed file" in caplog.text
    assert identifier.classify(TEXTS[3]) == packed.classify(TEXTS[3])
    assert cache.read_text() == "not a folder"
