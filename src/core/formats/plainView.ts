/**
 * The typed array a reader's readTensor gives for values stored as plain little-endian elements
 * (safetensors, TFLite, GGUF): float16/bfloat16 as their bits (Uint16Array), 64-bit integers as
 * BigInt64Array / BigUint64Array, complex as interleaved floats. `bytes` is a buffer of its own,
 * from offset 0. undefined for a dtype that is not stored that way (uint8/bool/float8 bytes, packed
 * 4-/2-bit values, strings, quantized blocks): the reader decodes those itself.
 */
import type { TensorData } from './types';

export function plainView(dtype: string, bytes: Uint8Array, n: number): TensorData['data'] | undefined {
  const b = bytes.buffer;
  switch (dtype) {
    case 'float32':
      return new Float32Array(b, 0, n);
    case 'float64':
      return new Float64Array(b, 0, n);
    case 'complex64':
      return new Float32Array(b, 0, 2 * n);
    case 'complex128':
      return new Float64Array(b, 0, 2 * n);
    case 'float16':
    case 'bfloat16':
    case 'uint16':
      return new Uint16Array(b, 0, n);
    case 'int16':
      return new Int16Array(b, 0, n);
    case 'int8':
      return new Int8Array(b, 0, n);
    case 'int32':
      return new Int32Array(b, 0, n);
    case 'uint32':
      return new Uint32Array(b, 0, n);
    case 'int64':
      return new BigInt64Array(b, 0, n);
    case 'uint64':
      return new BigUint64Array(b, 0, n);
    default:
      return undefined;
  }
}
