/**
 * ONNX element types (TensorProto.DataType) and how they are named, sized and decoded here.
 * Names are lower case, numpy style: FLOAT → 'float32', DOUBLE → 'float64', FLOAT16 → 'float16'.
 */

export interface OnnxDType {
  code: number;
  name: string;
  /** bits per element (0 for strings and unknown types) */
  bits: number;
}

const TABLE: OnnxDType[] = [
  { code: 0, name: 'undefined', bits: 0 },
  { code: 1, name: 'float32', bits: 32 },
  { code: 2, name: 'uint8', bits: 8 },
  { code: 3, name: 'int8', bits: 8 },
  { code: 4, name: 'uint16', bits: 16 },
  { code: 5, name: 'int16', bits: 16 },
  { code: 6, name: 'int32', bits: 32 },
  { code: 7, name: 'int64', bits: 64 },
  { code: 8, name: 'string', bits: 0 },
  { code: 9, name: 'bool', bits: 8 },
  { code: 10, name: 'float16', bits: 16 },
  { code: 11, name: 'float64', bits: 64 },
  { code: 12, name: 'uint32', bits: 32 },
  { code: 13, name: 'uint64', bits: 64 },
  { code: 14, name: 'complex64', bits: 64 },
  { code: 15, name: 'complex128', bits: 128 },
  { code: 16, name: 'bfloat16', bits: 16 },
  { code: 17, name: 'float8e4m3fn', bits: 8 },
  { code: 18, name: 'float8e4m3fnuz', bits: 8 },
  { code: 19, name: 'float8e5m2', bits: 8 },
  { code: 20, name: 'float8e5m2fnuz', bits: 8 },
  { code: 21, name: 'uint4', bits: 4 },
  { code: 22, name: 'int4', bits: 4 },
  { code: 23, name: 'float4e2m1', bits: 4 },
  { code: 24, name: 'float8e8m0', bits: 8 },
  { code: 25, name: 'uint2', bits: 2 },
  { code: 26, name: 'int2', bits: 2 },
];

const BY_CODE = new Map(TABLE.map((t) => [t.code, t]));
const BY_NAME = new Map(TABLE.map((t) => [t.name, t]));

export function dtypeOf(code: number): OnnxDType {
  return BY_CODE.get(code) ?? { code, name: `unknown(${code})`, bits: 0 };
}

export function dtypeByName(name: string): OnnxDType | undefined {
  return BY_NAME.get(name);
}

/** Bytes `count` elements take when decoded (packed for sub-byte types; 0 for strings). */
export function byteSizeOf(d: OnnxDType, count: number): number {
  return Math.ceil((count * d.bits) / 8);
}
