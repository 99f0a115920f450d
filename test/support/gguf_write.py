"""The tests' GGUF writer, per the published format (ggml's docs/gguf.md), with struct + numpy only (no
gguf-py on Debian): the magic "GGUF", a uint32 version (2 or 3), uint64 tensor and metadata counts, the
metadata (key string, uint32 value type, value), the tensor infos (name, uint32 dimension count, uint64
dimensions innermost first, uint32 ggml type, uint64 offset into the data), zero padding to the
alignment, then each tensor's bytes at its offset (padded to the alignment). Strings are a uint64
length and UTF-8 bytes; arrays a uint32 element type, a uint64 count and the elements.

Q8_0 and Q4_0 blocks are made as ggml's reference quantizers make them (quantize_row_q8_0_ref,
quantize_row_q4_0_ref) and dequantized here from the stored bytes, from the block layout, for the
reference values. Used by test/unit/gguf.test.ts and test/unit/fuzz.test.ts.

write() returns a record of what it wrote (JSON-serialisable): every key with its type and value (arrays:
length, first elements, sha256 of their bytes after the count), every tensor with its type, its
dimensions as stored, its numpy (row-major) shape, its absolute offset and size, and the values a reader
should decode (floats; dequantized for Q8_0 / Q4_0).
"""
import hashlib
import struct

import numpy as np

# value types
UINT8, INT8, UINT16, INT16, UINT32, INT32, FLOAT32, BOOL, STRING, ARRAY, UINT64, INT64, FLOAT64 = range(13)
SCALAR = {UINT8: '<B', INT8: '<b', UINT16: '<H', INT16: '<h', UINT32: '<I', INT32: '<i', FLOAT32: '<f', BOOL: '<?',
          UINT64: '<Q', INT64: '<q', FLOAT64: '<d'}
TYPE_NAMES = ['uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32', 'float32', 'bool', 'string', 'array',
              'uint64', 'int64', 'float64']

# ggml types: id -> (name, elements per block, bytes per block), from ggml-common.h's block structs
GGML = {
    0: ('F32', 1, 4), 1: ('F16', 1, 2), 2: ('Q4_0', 32, 18), 3: ('Q4_1', 32, 20), 6: ('Q5_0', 32, 22),
    7: ('Q5_1', 32, 24), 8: ('Q8_0', 32, 34), 10: ('Q2_K', 256, 84), 11: ('Q3_K', 256, 110),
    12: ('Q4_K', 256, 144), 13: ('Q5_K', 256, 176), 14: ('Q6_K', 256, 210), 15: ('Q8_K', 256, 292),
    16: ('IQ2_XXS', 256, 66), 20: ('IQ4_NL', 32, 18), 24: ('I8', 1, 1), 25: ('I16', 1, 2), 26: ('I32', 1, 4),
    27: ('I64', 1, 8), 28: ('F64', 1, 8), 30: ('BF16', 1, 2), 35: ('TQ2_0', 256, 66),
}
BY_NAME = {v[0]: k for k, v in GGML.items()}


def _str(s):
    b = s.encode('utf-8') if isinstance(s, str) else s
    return struct.pack('<Q', len(b)) + b


def _value(t, v, sub=None):
    """The bytes of a value of type t (arrays: v = (element type, [elements]))."""
    if t == STRING:
        return _str(v)
    if t == ARRAY:
        et, items = v
        out = struct.pack('<IQ', et, len(items))
        return out + _elements(et, items)
    return struct.pack(SCALAR[t], v)


def _elements(et, items):
    if et in SCALAR and et != BOOL:
        return np.asarray(items, dtype=np.dtype(SCALAR[et])).tobytes()
    return b''.join(_value(et, x) for x in items)


def f16(x):
    return np.asarray(x, np.float32).astype('<f2')


def quantize_q8_0(x):
    """ggml's quantize_row_q8_0_ref: per 32 values, d = max|x| / 127, q = round(x / d)."""
    x = np.asarray(x, np.float32).reshape(-1, 32)
    d = np.max(np.abs(x), axis=1) / np.float32(127)
    idv = np.divide(np.float32(1), d, out=np.zeros_like(d), where=d != 0)
    q = np.round(x * idv[:, None]).astype(np.int8)
    out = np.empty((len(x), 34), np.uint8)
    out[:, :2] = f16(d).view(np.uint8).reshape(-1, 2)
    out[:, 2:] = q.view(np.uint8)
    return out.tobytes()


def quantize_q4_0(x):
    """ggml's quantize_row_q4_0_ref: max = the value of largest magnitude, d = max / -8,
    q = min(15, int(x / d + 8.5)); elements 0-15 in the low nibbles, 16-31 in the high ones."""
    x = np.asarray(x, np.float32).reshape(-1, 32)
    mx = x[np.arange(len(x)), np.argmax(np.abs(x), axis=1)]
    d = mx / np.float32(-8)
    idv = np.divide(np.float32(1), d, out=np.zeros_like(d), where=d != 0)
    q = np.minimum(15, (x * idv[:, None] + np.float32(8.5)).astype(np.int8)).astype(np.uint8)
    out = np.empty((len(x), 18), np.uint8)
    out[:, :2] = f16(d).view(np.uint8).reshape(-1, 2)
    out[:, 2:] = q[:, :16] | (q[:, 16:] << 4)
    return out.tobytes()


def dequantize(name, b):
    """Values of Q8_0 / Q4_0 blocks, from the stored bytes (float32, as ggml's dequantize_row_* gives them)."""
    if name == 'Q8_0':
        a = np.frombuffer(b, np.uint8).reshape(-1, 34)
        d = a[:, :2].copy().view('<f2').astype(np.float32)
        q = a[:, 2:].copy().view(np.int8).astype(np.float32)
        return (d * q).reshape(-1)
    if name == 'Q4_0':
        a = np.frombuffer(b, np.uint8).reshape(-1, 18)
        d = a[:, :2].copy().view('<f2').astype(np.float32)
        qs = a[:, 2:]
        lo = (qs & 0x0F).astype(np.float32) - 8
        hi = (qs >> 4).astype(np.float32) - 8
        return (d * np.concatenate([lo, hi], axis=1)).reshape(-1)
    raise ValueError(name)


def decode(name, b):
    """The values a reader should give for a tensor's bytes (None for quantized types it does not decode)."""
    plain = {'F32': '<f4', 'F64': '<f8', 'I8': 'i1', 'I16': '<i2', 'I32': '<i4', 'I64': '<i8'}
    if name in plain:
        return np.frombuffer(b, plain[name]).astype(np.float64)
    if name == 'F16':
        return np.frombuffer(b, '<f2').astype(np.float64)
    if name == 'BF16':
        return (np.frombuffer(b, '<u2').astype('<u4') << 16).view('<f4').astype(np.float64)
    if name in ('Q8_0', 'Q4_0'):
        return dequantize(name, b).astype(np.float64)
    return None


def _record_value(t, v):
    if t == ARRAY:
        et, items = v
        first = [_record_value(et, x) for x in items[:8]]
        return {'count': len(items), 'type': TYPE_NAMES[et], 'first': first,
                'sha256': hashlib.sha256(_elements(et, items)).hexdigest()}
    if t == STRING:
        return v
    if t in (UINT64, INT64):
        return str(v)
    if t == FLOAT32:
        return float(np.float32(v))
    return v


def write(path, kvs, tensors, version=3, alignment=None, values=True):
    """kvs: [(key, type, value)] (arrays: (element type, [elements])); tensors: [(name, ggml type name,
    dims innermost first, bytes)], laid out in this order; bytes None: the tensor's data is not written,
    the file is extended over it (a sparse file: a large model of which only the header is on disk).
    alignment: written as general.alignment (uint32) when given. Returns the record of what was written."""
    align = alignment or 32
    kvs = list(kvs)
    if alignment is not None:
        kvs.append(('general.alignment', UINT32, alignment))
    out = bytearray(b'GGUF' + struct.pack('<IQQ', version, len(tensors), len(kvs)))
    for k, t, v in kvs:
        out += _str(k) + struct.pack('<I', t) + _value(t, v)
    rel = 0
    offsets = []
    sizes = []
    for name, tname, dims, b in tensors:
        tid = BY_NAME[tname]
        _, blk, size = GGML[tid]
        n = int(np.prod(dims)) if dims else 1
        nbytes = n // blk * size
        assert b is None or len(b) == nbytes, (name, len(b), nbytes)
        sizes.append(nbytes)
        out += _str(name) + struct.pack('<I', len(dims)) + b''.join(struct.pack('<Q', d) for d in dims)
        out += struct.pack('<IQ', tid, rel)
        offsets.append(rel)
        rel += (nbytes + align - 1) // align * align
    out += b'\0' * ((align - len(out) % align) % align)
    data_offset = len(out)
    with open(path, 'wb') as f:
        f.write(out)
        for (name, tname, dims, b), off, nbytes in zip(tensors, offsets, sizes):
            if b is not None:
                f.seek(data_offset + off)
                f.write(b)
        f.truncate(data_offset + rel)
        end = data_offset + rel
    rec = {'version': version, 'alignment': align, 'data_offset': data_offset, 'size': end, 'kvs': [], 'tensors': []}
    for k, t, v in kvs:
        rec['kvs'].append({'key': k, 'type': TYPE_NAMES[t], 'value': _record_value(t, v)})
    for (name, tname, dims, b), off, nbytes in zip(tensors, offsets, sizes):
        vals = decode(tname, b) if values and b is not None else None
        rec['tensors'].append({
            'name': name, 'type': tname, 'type_id': BY_NAME[tname], 'dims': list(dims), 'shape': list(reversed(dims)),
            'offset': data_offset + off, 'nbytes': nbytes,
            'values': None if vals is None else [float(x) for x in vals],
        })
    return rec
