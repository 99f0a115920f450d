/**
 * 8-bit floating-point types decoded to numbers, one 256-entry table per type (built on first use).
 * Names as in ./onnxTypes.ts: float8e4m3fn (safetensors F8_E4M3, torch.float8_e4m3fn), float8e4m3fnuz,
 * float8e5m2 (F8_E5M2), float8e5m2fnuz, float8e8m0 (F8_E8M0, a power-of-two scale).
 *
 * - e4m3fn: bias 7, no infinities; S.1111.111 is NaN.
 * - e4m3fnuz / e5m2fnuz: bias 8 / 16, no infinities, no −0; 0x80 is the only NaN.
 * - e5m2: IEEE-like, bias 15; exponent 31 is ±Infinity (mantissa 0) or NaN.
 * - e8m0: 2^(bits − 127); 0xFF is NaN.
 */

interface Layout {
  exponentBits: number;
  mantissaBits: number;
  bias: number;
  /** how exponent-all-ones and 0x80 are read */
  kind: 'fn' | 'fnuz' | 'ieee';
}

const LAYOUTS: Record<string, Layout> = {
  float8e4m3fn: { exponentBits: 4, mantissaBits: 3, bias: 7, kind: 'fn' },
  float8e4m3fnuz: { exponentBits: 4, mantissaBits: 3, bias: 8, kind: 'fnuz' },
  float8e5m2: { exponentBits: 5, mantissaBits: 2, bias: 15, kind: 'ieee' },
  float8e5m2fnuz: { exponentBits: 5, mantissaBits: 2, bias: 16, kind: 'fnuz' },
};

function decode(bits: number, l: Layout): number {
  const sign = bits & 0x80 ? -1 : 1;
  const e = (bits >> l.mantissaBits) & ((1 << l.exponentBits) - 1);
  const m = bits & ((1 << l.mantissaBits) - 1);
  const eMax = (1 << l.exponentBits) - 1;
  const scale = 1 << l.mantissaBits;
  if (l.kind === 'fnuz' && bits === 0x80) return NaN;
  if (l.kind === 'fn' && e === eMax && m === scale - 1) return NaN;
  if (l.kind === 'ieee' && e === eMax) return m ? NaN : sign * Infinity;
  if (e === 0) return sign * 2 ** (1 - l.bias) * (m / scale);
  return sign * 2 ** (e - l.bias) * (1 + m / scale);
}

const tables = new Map<string, Float64Array>();

/** The 256 values of an 8-bit float type, indexed by its bits; undefined for other types. */
export function float8Table(dtype: string): Float64Array | undefined {
  let t = tables.get(dtype);
  if (t) return t;
  const l = LAYOUTS[dtype];
  if (!l && dtype !== 'float8e8m0') return undefined;
  t = new Float64Array(256);
  for (let b = 0; b < 256; b++) t[b] = l ? decode(b, l) : b === 0xff ? NaN : 2 ** (b - 127);
  tables.set(dtype, t);
  return t;
}
