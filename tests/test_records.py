"""The record framing: CRCs, layout, and the states of the reader."""

import io
import struct

import pytest

from modagg.records import BAD_LENGTH, DATA_CRC, LENGTH_CRC, TRUNCATED, masked_crc, read_records
from modagg.writer import frame


def records(data, **kw):
    damage = []
    found = list(read_records(io.BytesIO(data), damage, **kw))
    return found, damage


def test_crc_test_vector():
    assert masked_crc(b"\x1a\x11CRC test, one two") == 0x5794D08A


def test_frame_layout():
    framed = frame(b"abc")
    assert struct.unpack("<Q", framed[:8])[0] == 3
    assert struct.unpack("<I", framed[8:12])[0] == masked_crc(framed[:8])
    assert framed[12:15] == b"abc"
    assert struct.unpack("<I", framed[15:])[0] == masked_crc(b"abc")


def test_reads_records_in_order_with_offsets():
    payloads = [b"one", b"", b"x" * 1000, b"four"]
    data = b"".join(frame(p) for p in payloads)
    found, damage = records(data)
    assert [d for _, d in found] == payloads
    offsets = [0]
    for p in payloads[:-1]:
        offsets.append(offsets[-1] + 16 + len(p))
    assert [o for o, _ in found] == offsets
    assert damage == []


@pytest.mark.parametrize("block_size", [1, 7, 16, 1 << 22])
def test_block_size_does_not_change_what_is_read(block_size):
    payloads = [bytes([i]) * i for i in range(40)]
    data = b"".join(frame(p) for p in payloads)
    assert [d for _, d in records(data, block_size=block_size)[0]] == payloads


def test_empty_file_has_no_records():
    assert records(b"") == ([], [])


@pytest.mark.parametrize("cut", [1, 11, 12, 15, 18])
def test_file_ending_inside_a_record_is_a_truncated_tail(cut):
    whole = frame(b"first") + frame(b"second!")
    data = whole[: len(frame(b"first")) + cut]
    found, damage = records(data)
    assert [d for _, d in found] == [b"first"]
    assert [(d.offset, d.problem) for d in damage] == [(21, TRUNCATED)]


def test_flipped_data_byte_skips_only_that_record():
    data = bytearray(frame(b"aaaa") + frame(b"bbbb") + frame(b"cccc"))
    data[20 + 13] ^= 0x01  # inside the data of the second record
    found, damage = records(bytes(data))
    assert [d for _, d in found] == [b"aaaa", b"cccc"]
    assert [(d.offset, d.problem, d.skipped) for d in damage] == [(20, DATA_CRC, 20)]


def test_damaged_length_resyncs_at_next_intact_record():
    data = bytearray(frame(b"aaaa") + frame(b"bbbb") + frame(b"cccc"))
    data[20 + 2] ^= 0xFF  # the length of the second record
    found, damage = records(bytes(data))
    assert [d for _, d in found] == [b"aaaa", b"cccc"]
    assert [(d.offset, d.problem, d.skipped) for d in damage] == [(20, LENGTH_CRC, 20)]


def test_absurd_length_with_valid_crc_is_not_allocated():
    header = struct.pack("<Q", 1 << 60)
    data = frame(b"ok") + header + struct.pack("<I", masked_crc(header)) + b"tail"
    found, damage = records(data)
    assert [d for _, d in found] == [b"ok"]
    assert damage[0].problem == TRUNCATED


def test_header_passing_its_crc_with_impossible_length_before_intact_records():
    # An 8-byte payload and its CRC, its header lost, look exactly like a header.
    record = frame(b"\x00" * 7 + b"\x01")
    data = frame(b"ok") + record[12:] + frame(b"after")
    found, damage = records(data)
    assert [d for _, d in found] == [b"ok", b"after"]
    assert [(d.offset, d.problem, d.skipped) for d in damage] == [(18, BAD_LENGTH, 12)]


def test_garbage_between_records_is_skipped_and_counted():
    garbage = b"\x00garbage that is no record\xff" * 3
    data = frame(b"aaaa") + garbage + frame(b"bbbb")
    found, damage = records(data, block_size=8)
    assert [d for _, d in found] == [b"aaaa", b"bbbb"]
    assert [(d.offset, d.problem, d.skipped) for d in damage] == [(20, LENGTH_CRC, len(garbage))]


def test_random_bytes_hold_no_records():
    found, damage = records(bytes(range(256)) * 4)
    assert found == []
    assert [(d.offset, d.problem, d.skipped) for d in damage] == [(0, LENGTH_CRC, 1024)]
