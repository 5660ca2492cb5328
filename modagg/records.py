"""Records of an event file: the TFRecord framing and its masked CRC-32C.

An event file is a sequence of records, each laid out as::

    uint64 length | uint32 masked_crc(length) | data[length] | uint32 masked_crc(data)

all little-endian. :func:`read_records` walks a file record by record and
decides, at each position, which of these states it is in:

*intact record*
    Both CRCs match: the record is yielded.
*end of file*
    No byte left, or a tail too short to be a record. A file that ends inside
    a record is a file still being written (or a writer that was killed):
    that tail is reported as ``TRUNCATED``, which is normal and not damage.
*impossible length*
    The length's CRC matches but the record would end past the end of the
    file. That is a truncated tail, unless an intact record follows: then the
    header was damage that happened to pass its CRC (an 8-byte payload and
    its CRC look exactly like a header), reported as ``BAD_LENGTH``.
*bad data*
    The length's CRC matches but the data's does not: ``DATA_CRC``, one
    record skipped. Reading goes on where the length says the next record
    starts, or earlier if an intact record starts inside the bad one (bytes
    were lost from it).
*bad length*
    The length's CRC does not match (a damaged header, bytes inserted or
    lost, foreign bytes). The length cannot be trusted and is never used
    to allocate or read: the reader scans forward byte by byte to the next
    position where a header and its data both pass their CRCs, and resumes
    there: ``LENGTH_CRC``, with the number of bytes skipped. (The scan
    takes records to be under 4 GiB, as protobuf messages are: it tries
    only positions where a length's high four bytes are zero.)

A record whose payload is exactly 8 bytes is, with its CRC, byte for byte a
valid header; after damage the framing cannot tell the two apart. Events
are never that short (a wall time alone takes 9 bytes).

The file is read in blocks, so memory stays bounded by the block size and
the largest record, whatever the size of the file.

A file can also be read in spans, by several readers at once: the records
from one record boundary to another. :func:`find_record` finds a boundary
near any offset, by the same scan that resumes after damage; a reader of
the span ``[start, stop)`` raises :class:`Misaligned` if its records do not
end exactly at *stop* (that boundary was a record's payload that looked
like a record, or damage crosses it). Reading the file whole is then the
answer, and the spans, when they do line up, give what it gives.
"""

import os
import struct
from collections import namedtuple

from crc32c import crc32c

__all__ = [
    "masked_crc",
    "read_records",
    "find_record",
    "Misaligned",
    "Damage",
    "TRUNCATED",
    "DATA_CRC",
    "LENGTH_CRC",
    "BAD_LENGTH",
]

HEADER_SIZE = 12  # uint64 length + uint32 masked CRC of the length
FOOTER_SIZE = 4  # uint32 masked CRC of the data
BLOCK_SIZE = 1 << 20

TRUNCATED = "file ends inside a record"
DATA_CRC = "data CRC mismatch"
LENGTH_CRC = "length CRC mismatch"
BAD_LENGTH = "record length beyond the end of the file"

Damage = namedtuple("Damage", "offset problem skipped")
Damage.__doc__ = """Something wrong found in a file.

offset: byte offset of the first byte that could not be read as a record.
problem: TRUNCATED, DATA_CRC, LENGTH_CRC or BAD_LENGTH.
skipped: number of bytes passed over from there.
"""


class Misaligned(Exception):
    """The records of a span did not end at its *stop* offset."""


_unpack_u32 = struct.Struct("<I").unpack_from
_HIGH_ZEROS = bytes(4)  # the high half of any record's length
_unpack_u64 = struct.Struct("<Q").unpack_from


def masked_crc(data):
    """Return the masked CRC-32C of *data*, the checksum event files store."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _header_ok(buf, pos):
    """True if the 12-byte header at buf[pos] passes its length CRC."""
    return masked_crc(buf[pos : pos + 8]) == _unpack_u32(buf, pos + 8)[0]


class _Window:
    """The bytes of a file from offset ``base`` on, read in blocks on demand."""

    def __init__(self, file, block_size, base=None):
        self.file = file
        self.block_size = block_size
        self.buf = b""
        self.base = base or 0
        self.eof = False
        if base is not None:
            file.seek(base)

    def reach(self, end):
        """Read until the window covers file offset *end*; False at end of file."""
        while self.base + len(self.buf) < end and not self.eof:
            want = max(self.block_size, end - self.base - len(self.buf))
            more = self.file.read(want)
            if not more:
                self.eof = True
            self.buf += more
        return self.base + len(self.buf) >= end

    def forget(self, offset):
        """Drop the bytes before file offset *offset*."""
        if offset > self.base:
            self.buf = self.buf[offset - self.base :]
            self.base = offset

    def remaining(self, offset):
        """How many bytes the file holds after *offset* now, as far as known."""
        try:
            size = os.fstat(self.file.fileno()).st_size
        except (AttributeError, OSError, ValueError):
            try:
                size = len(self.file.getbuffer())
            except AttributeError:
                return 1 << 62
        return max(size, self.base + len(self.buf)) - offset


def read_records(file, damage=None, block_size=BLOCK_SIZE, start=None, stop=None):
    """Yield ``(offset, data)`` for every intact record of a binary *file*.

    *file* is an open binary file (or any object with ``read``), read from
    where it is (offsets count from there). Records are yielded in file order; damaged
    parts are skipped as the module docstring describes and, when *damage*
    is a list, reported by appending :class:`Damage` tuples to it. The
    content of the file never raises; only errors of reading it (``OSError``)
    propagate.

    start, stop: read the span from file offset *start* (the file is
    seeked there), where a record starts, to *stop*, where the first record
    after the span starts (see :func:`find_record`); :class:`Misaligned` is
    raised if the records read do not end there.
    """
    if damage is None:
        damage = []
    window = _Window(file, block_size, start)
    lengths = {}  # header bytes -> length, for headers whose CRC matched: records share a few
    unpack_u32 = _unpack_u32  # a local: this is the hot loop
    end_of_span = 1 << 62 if stop is None else stop
    buf, base, pos = window.buf, window.base, 0  # the next record starts at file offset base + pos
    # While start <= edge the next header is in buf and starts before the
    # span ends: one test per record for both. edge = -1 after the window
    # moved: it is worked out again at the top of the loop.
    size, edge = len(buf), -1
    while True:
        start = pos + HEADER_SIZE  # where the data starts
        if start > edge:
            size = len(buf)
            edge = min(size, end_of_span - base + HEADER_SIZE - 1)
        if start > edge:
            offset = base + pos
            if offset >= end_of_span:
                if offset > end_of_span:
                    raise Misaligned(f"records cross offset {stop}")
                return
            window.forget(offset)
            complete = window.reach(offset + HEADER_SIZE)
            buf, base, pos = window.buf, window.base, 0
            size, edge = len(buf), -1
            if not complete:
                if buf:
                    damage.append(Damage(offset, TRUNCATED, size))
                if stop is not None:
                    raise Misaligned(f"the file ends before offset {stop}")
                return
            start = HEADER_SIZE
        header = buf[pos:start]
        length = lengths.get(header)
        if length is None:
            if not _header_ok(header, 0):
                offset = base + pos
                resume = _next_intact(window, offset + 1)
                buf, base, edge = window.buf, window.base, -1
                if resume is None:
                    resume = base + len(buf)
                damage.append(Damage(offset, LENGTH_CRC, resume - offset))
                pos = resume - base
                continue
            length = _unpack_u64(header)[0]
            if len(lengths) < 4096:
                lengths[header] = length
        end = start + length
        if end + FOOTER_SIZE > size:
            offset = base + pos
            window.forget(offset)
            # Never read a length the file cannot hold.
            if length > window.remaining(offset + HEADER_SIZE) or not window.reach(
                offset + HEADER_SIZE + length + FOOTER_SIZE
            ):
                # The file ends inside this record, unless an intact record
                # follows: then this header was damage that passed its CRC.
                resume = _next_intact(window, offset + 1)
                buf, base, edge = window.buf, window.base, -1
                if resume is None:
                    damage.append(Damage(offset, TRUNCATED, base + len(buf) - offset))
                    if stop is not None:
                        raise Misaligned(f"the file ends before offset {stop}")
                    return
                damage.append(Damage(offset, BAD_LENGTH, resume - offset))
                pos = resume - base
                continue
            buf, base, pos = window.buf, window.base, 0
            size, edge = len(buf), -1
            start, end = HEADER_SIZE, HEADER_SIZE + length
        data = buf[start:end]
        crc = crc32c(data)  # masked_crc(data), inline
        if (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF == unpack_u32(buf, end)[0]:
            yield base + pos, data
            pos = end + FOOTER_SIZE
            continue
        # Bad data: this record is lost. Its length passed its CRC, yet bytes
        # may have been lost inside it, so an intact record may start before
        # the length says: look for one from the next byte on.
        offset = base + pos
        following = end + FOOTER_SIZE + base
        resume = _next_intact(window, offset + 1, before=following)
        buf, base, edge = window.buf, window.base, -1
        damage.append(Damage(offset, DATA_CRC, (resume or following) - offset))
        pos = (resume or following) - base


def find_record(file, offset, before=None, block_size=BLOCK_SIZE):
    """Return the offset of the first intact record of *file* at or after *offset*, or None.

    With *before*, only offsets before it are tried. *file* must be seekable.
    """
    return _next_intact(_Window(file, block_size, offset), offset, before)


def _intact_at(window, offset):
    """True if an intact record (both CRCs matching) starts at file *offset*."""
    if not window.reach(offset + HEADER_SIZE):
        return False
    pos = offset - window.base
    if not _header_ok(window.buf, pos):
        return False
    length = _unpack_u64(window.buf, pos)[0]
    end = offset + HEADER_SIZE + length
    if length > window.remaining(offset + HEADER_SIZE) or not window.reach(end + FOOTER_SIZE):
        return False
    start, stop = pos + HEADER_SIZE, end - window.base
    return masked_crc(window.buf[start:stop]) == _unpack_u32(window.buf, stop)[0]


def _next_intact(window, offset, before=None):
    """Return the offset of the first intact record at or after *offset*, or None.

    With *before*, only offsets before it are tried. Without, when there is
    none, the whole rest of the file has been read into the window.
    """
    while before is None or offset < before:
        window.forget(offset)
        if not window.reach(offset + HEADER_SIZE):
            return None
        buf, pos = window.buf, offset - window.base
        last = len(buf) - HEADER_SIZE
        if before is not None:
            last = min(last, before - 1 - window.base)
        # Only where the length's 4 high bytes are zero (found in C): no record
        # reaches 4 GiB, a protobuf message being at most 2 GiB. There, a cheap
        # header check first, then the whole record.
        while pos <= last:
            pos = buf.find(_HIGH_ZEROS, pos + 4, last + HEADER_SIZE - 4) - 4
            if pos < 0:
                pos = last + 1
                break
            if _header_ok(buf, pos) and _intact_at(window, window.base + pos):
                return window.base + pos
            pos += 1
        offset = window.base + pos
    return None
