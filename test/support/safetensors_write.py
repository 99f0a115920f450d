"""The tests' safetensors writer, per the published format (no safetensors library here): an 8-byte
little-endian header length, the JSON header padded with spaces to a multiple of 8, then the tensors'
bytes in the order given. Used by test/unit/safetensors.test.ts and test/unit/fuzz.test.ts."""
import json
import struct


def write(path, tensors, metadata=None):
    """tensors: [(name, dtype, shape, bytes)], laid out in this order."""
    header = {}
    if metadata is not None:
        header['__metadata__'] = metadata
    off = 0
    for name, dt, shape, b in tensors:
        header[name] = {'dtype': dt, 'shape': list(shape), 'data_offsets': [off, off + len(b)]}
        off += len(b)
    h = json.dumps(header).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for t in tensors:
            f.write(t[3])
