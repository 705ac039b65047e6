"""Read bytes into text: size limit, binary check and encoding detection (issue 2, "Reading").

Detection order, cheapest and most certain first:

1. A byte-order mark (UTF-32, UTF-8, UTF-16).
2. NUL bytes: plausible UTF-16 without a BOM, otherwise the input is binary. Text containing
   U+0000 is treated as binary too, whatever its encoding: no newspaper page holds a NUL, and
   letting one through would break every consumer that treats NUL as a terminator.
3. Strict UTF-8.
4. Mostly valid UTF-8 with a few bad bytes (a damaged UTF-8 file): decoded as UTF-8 with the bad
   bytes replaced by U+FFFD and a warning, never re-read in a legacy codec that would garble the
   whole file.
5. Chinese legacy encodings (GB18030, a superset of GBK and GB2312; Big5/CP950/Big5-HKSCS),
   decided by charset-normalizer plus a plausibility score: GB18030 and Big5 bytes overlap so
   much that either codec decodes the other's bytes, and only the characters tell which reading
   is right.
6. Anything else: charset-normalizer without restriction, with a warning.

The returned text always has ``\\n`` line ends.
"""

from __future__ import annotations

import os
import re
import stat
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

from classifier.errors import InputError
from classifier.text.hanzi import chinese_score

__all__ = ["DEFAULT_MAX_BYTES", "Decoded", "decode_bytes", "open_input", "read_path", "read_stdin"]

DEFAULT_MAX_BYTES = 20 * 1024 * 1024

# Above this share of invalid sequences (among non-ASCII characters) a file that fails strict
# UTF-8 is not "UTF-8 with a few bad bytes" but another encoding. GB18030 text read as UTF-8 is
# ~85% invalid; a damaged UTF-8 file is well under 1%.
_BROKEN_UTF8_MAX_RATIO = 0.1
# A decoding whose characters are less plausible than this is not Chinese text.
_MIN_CHINESE_SCORE = 0.5
# Head start of GB18030 over Big5 in the plausibility contest: mainland pages are far more often
# GB18030, and on 2-4 character snippets GB bytes read as Big5 still give common characters
# (measured on seed snippets: see tests/test_io.py::test_short_snippets_mostly_right).
_GB18030_PRIOR = 0.1
_DETECTOR_BONUS = 0.05
# UTF-16 without a BOM must decode to at least this share of text-like characters.
_MIN_UTF16_TEXTY = 0.9
# More control characters or replacement characters than this share means binary.
_MAX_CONTROL_RATIO = 0.05
_MAX_REPLACED_RATIO = 0.3

_BOMS: tuple[tuple[bytes, str], ...] = (
    # UTF-32 first: its LE mark starts with the UTF-16 LE mark.
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
_BIG5_FAMILY = ("big5", "cp950", "big5hkscs")
_CHINESE_CODECS = ("gb18030", *_BIG5_FAMILY)
# Detector names mapped to a family: GB18030 is a superset of GBK and GB2312, so a file detected
# as either is read as GB18030.
_FAMILY = {
    "gb18030": "gb18030",
    "gbk": "gb18030",
    "gb2312": "gb18030",
    "big5": "big5",
    "cp950": "big5",
    "big5hkscs": "big5",
}


@dataclass(frozen=True)
class Decoded:
    """Text read from a file or from bytes, with how it was decoded.

    ``encoding`` is a Python codec name (``utf-8``, ``utf-8-sig``, ``gb18030``, ``big5`` ...);
    ``warnings`` says what was repaired or guessed, e.g. ``invalid UTF-8 bytes replaced at 3
    places``.
    """

    text: str
    encoding: str
    source: str
    warnings: tuple[str, ...] = ()


def open_input(path: str | Path) -> tuple[BinaryIO, os.stat_result]:
    """Open a file for reading bytes; every failure is an :class:`InputError` naming the path.

    Directories are refused; other special files (a FIFO, ``/dev/stdin``) are opened, and
    callers bound how much they read from them.
    """
    name = str(path)
    try:
        st = os.stat(path)
        if stat.S_ISDIR(st.st_mode):
            raise InputError(f"{name}: is a directory; expected a text file")
        return open(path, "rb"), st  # the caller closes it
    except FileNotFoundError:
        raise InputError(f"{name}: no such file") from None
    except PermissionError:
        raise InputError(f"{name}: permission denied") from None
    except OSError as exc:  # symlink loops, names too long, I/O errors
        raise InputError(f"{name}: cannot read ({exc.strerror or exc})") from None


def read_path(path: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Decoded:
    """Read and decode one file, refusing it before reading if it is larger than ``max_bytes``.

    Every failure (missing, a directory, unreadable, too large, binary, empty) raises
    :class:`InputError` naming the path and the reason.
    """
    name = str(path)
    fh, st = open_input(path)
    with fh:
        if st.st_size > max_bytes:
            raise InputError(_too_large(name, st.st_size, max_bytes))
        try:
            # Read one byte past the limit: the file may have grown since stat, or be a pipe.
            data = fh.read(max_bytes + 1)
        except OSError as exc:
            raise InputError(f"{name}: cannot read ({exc.strerror or exc})") from None
    if len(data) > max_bytes:
        raise InputError(_too_large(name, None, max_bytes))
    return decode_bytes(data, source=name)


def read_stdin(*, max_bytes: int = DEFAULT_MAX_BYTES) -> Decoded:
    """Read and decode standard input (as bytes, so the encoding is detected like a file's)."""
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:
        raise InputError("<stdin>: no standard input to read; pass a file path instead")
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InputError(_too_large("<stdin>", None, max_bytes))
    return decode_bytes(data, source="<stdin>")


def decode_bytes(data: bytes, *, source: str = "<bytes>") -> Decoded:
    """Detect the encoding of ``data`` and decode it; see the module docstring for the order.

    Raises :class:`InputError` for empty input (no bytes, or only whitespace and a BOM) and for
    binary input (NUL bytes or characters not explained by UTF-16/32, many control characters,
    mostly undecodable bytes).
    """
    if not data:
        raise InputError(f"{source}: file is empty")
    for bom, codec in _BOMS:
        if data.startswith(bom):
            text, replaced = _decode_counting(data, codec)
            warnings = _replaced_warning(codec, replaced)
            return _finish(text, codec, source, warnings, check_controls=False)
    if b"\x00" in data:
        utf16 = _decode_utf16_without_bom(data)
        if utf16 is None:
            raise InputError(_binary_nul(source, data.index(b"\x00")))
        return _finish(utf16[0], utf16[1], source, (), check_controls=False)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        # Valid UTF-8 without NULs is text by construction; control characters are allowed.
        return _finish(text, "utf-8", source, (), check_controls=False)
    broken = _decode_broken_utf8(data)
    if broken is not None:
        text, replaced = broken
        return _finish(text, "utf-8", source, _replaced_warning("utf-8", replaced))
    text, codec, warnings = _decode_legacy(data)
    return _finish(text, codec, source, warnings)


# --- decoding steps -------------------------------------------------------------------------


def _decode_counting(data: bytes, codec: str) -> tuple[str, int]:
    """Decode with replacement; return the text and how many places were replaced."""
    try:
        return data.decode(codec), 0
    except UnicodeDecodeError:
        text = data.decode(codec, errors="replace")
    try:
        genuine = data.count("\ufffd".encode(codec).removeprefix(b"\xef\xbb\xbf"))
    except UnicodeEncodeError:  # a legacy codec without U+FFFD
        genuine = 0
    return text, max(text.count("\ufffd") - genuine, 1)


def _decode_utf16_without_bom(data: bytes) -> tuple[str, str] | None:
    """UTF-16 without a BOM: ASCII characters leave a NUL in every other byte.

    Both byte orders are tried; the one whose characters look like text wins. Binary data with
    NULs decodes to characters scattered over the whole Basic Multilingual Plane and fails.
    """
    if len(data) % 2:
        return None
    best: tuple[float, str, str] | None = None
    for codec in ("utf-16-le", "utf-16-be"):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            continue
        share = 1 - len(_not_texty().findall(text)) / len(text)
        if share >= _MIN_UTF16_TEXTY and (best is None or share > best[0]):
            best = (share, text, codec)
    return None if best is None else (best[1], best[2])


def _decode_broken_utf8(data: bytes) -> tuple[str, int] | None:
    """UTF-8 with a few invalid sequences: decode with replacement if they are rare enough."""
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd") - data.count(b"\xef\xbf\xbd")
    non_ascii = len(text) - len(text.encode("ascii", errors="ignore"))
    valid = non_ascii - text.count("\ufffd")
    if valid > 0 and bad / (bad + valid) <= _BROKEN_UTF8_MAX_RATIO:
        return text, bad
    return None


def _decode_legacy(data: bytes) -> tuple[str, str, tuple[str, ...]]:
    """Pick between GB18030, the Big5 family and damaged UTF-8, or fall back to a guess.

    UTF-8 with replacements competes too: a file with a few valid UTF-8 characters and several
    bad bytes is ambiguous, and again the characters decide.
    """
    utf8 = data.decode("utf-8", errors="replace")
    candidates = [
        (*_decode_counting(data, "gb18030"), "gb18030"),
        _decode_big5(data),
        (utf8, utf8.count("\ufffd") - data.count(b"\xef\xbf\xbd"), "utf-8"),
    ]
    raw = [chinese_score(text[:_SCORE_SAMPLE_CHARS]) for text, _, _ in candidates]
    # GB18030 gets a head start; the detector's pick a small bonus that breaks near-ties.
    # The characters decide clear cases (the detector alone errs on short snippets).
    guess = _FAMILY.get(_detector_guess(data, _CHINESE_CODECS) or "")
    boosted = [
        score
        + (_GB18030_PRIOR if codec == "gb18030" else 0.0)
        + (_DETECTOR_BONUS if _FAMILY.get(codec) == guess else 0.0)
        for score, (_, _, codec) in zip(raw, candidates, strict=True)
    ]
    best = boosted.index(max(boosted))  # ties go to the first: GB18030
    text, replaced, codec = candidates[best]
    if raw[best] >= _MIN_CHINESE_SCORE:
        return text, codec, _replaced_warning(codec, replaced)
    other = _detector_guess(data, None)
    if other is not None and not other.startswith(("utf_16", "utf_32")):
        text, replaced = _decode_counting(data, other)
        warning = f"encoding guessed as {other} (not UTF-8 or a Chinese encoding); check the text"
        return text, other, (warning, *_replaced_warning(other, replaced))
    text, replaced = _decode_counting(data, "utf-8")
    return text, "utf-8", _replaced_warning("utf-8", replaced)


def _decode_big5(data: bytes) -> tuple[str, int, str]:
    """The first Big5 variant that decodes cleanly, else plain Big5 with replacements.

    Order matters: Big5-HKSCS maps many more byte pairs, so it "decodes" GB18030 bytes that
    plain Big5 and CP950 rightly reject.
    """
    first: tuple[str, int, str] | None = None
    for codec in _BIG5_FAMILY:
        text, replaced = _decode_counting(data, codec)
        if not replaced:
            return text, 0, codec
        first = first or (text, replaced, codec)
    assert first is not None
    return first


def _detector_guess(data: bytes, only: tuple[str, ...] | None) -> str | None:
    """charset-normalizer's best guess (imported lazily: it is slow to import)."""
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=list(only) if only else None).best()
    return None if best is None else str(best.encoding)


@lru_cache(maxsize=1)
def _not_texty() -> re.Pattern[str]:
    """Characters a UTF-16 text file plausibly consists of (only used for BOM-less UTF-16):
    ASCII text, Latin, Greek, Cyrillic, punctuation, kana, CJK ideographs, Hangul, full-width
    forms. Binary data read as UTF-16 scatters over the whole Basic Multilingual Plane
    instead. Compiled when first needed: its large class costs ~5 ms of every start."""
    return re.compile("[^\t\n\r\f\x20-\x7e\xa0-\u024f\u0370-\u04ff\u2000-\u206f"
                      "\u3000-\u30ff\u4e00-\u9fff\uac00-\ud7a3\uff00-\uffef]")


# C0 controls except whitespace, DEL and C1 controls: rare in text, common in binary data.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")
# Plausibility is judged on a prefix: enough characters to decide, cheap on 20 MB files.
_SCORE_SAMPLE_CHARS = 20_000


# --- results and messages ---------------------------------------------------------------------


def _finish(
    text: str,
    codec: str,
    source: str,
    warnings: tuple[str, ...],
    *,
    check_controls: bool = True,
) -> Decoded:
    """Check the decoded text for emptiness and binary content, then normalize line ends."""
    text = text.removeprefix("\ufeff")
    if not text.replace("\ufeff", "").strip():
        raise InputError(f"{source}: file is empty (only whitespace)")
    if "\x00" in text:
        raise InputError(_binary_nul(source, text.index("\x00"), unit="character"))
    if check_controls:
        controls = len(_CONTROL.findall(text))
        if controls / len(text) > _MAX_CONTROL_RATIO:
            raise InputError(
                f"{source}: looks binary ({controls} control characters in {len(text)}); "
                "expected a text file"
            )
        replaced = text.count("\ufffd")
        if replaced / len(text) > _MAX_REPLACED_RATIO:
            raise InputError(
                f"{source}: looks binary ({replaced} of {len(text)} characters undecodable "
                "in any supported encoding); expected a text file"
            )
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return Decoded(text=text, encoding=codec, source=source, warnings=warnings)


def _replaced_warning(codec: str, replaced: int) -> tuple[str, ...]:
    if not replaced:
        return ()
    name = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8"}.get(codec, codec)
    places = "place" if replaced == 1 else "places"
    return (f"invalid {name} bytes replaced at {replaced} {places}",)


def _binary_nul(source: str, offset: int, *, unit: str = "byte") -> str:
    return f"{source}: looks binary (NUL {unit} at offset {offset}); expected a text file"


def _too_large(name: str, size: int | None, max_bytes: int) -> str:
    what = "input is"
    if size is not None:
        # Never "20 MB is over the 20 MB limit": fall back to the exact byte count.
        shown = _fmt_size(size)
        what = f"{shown if shown != _fmt_size(max_bytes) else f'{size:,} bytes'} is"
    return f"{name}: {what} over the {_fmt_size(max_bytes)} limit; pass --max-bytes to raise it"


def _fmt_size(n: int) -> str:
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if n >= scale:
            return f"{n / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n} bytes"
