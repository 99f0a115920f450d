/**
 * A restricted Python unpickler: the pickle VM for data (protocols 0–5, binary opcodes; the text
 * opcodes of protocol 0 for numbers and memo only), which never runs code. Globals (GLOBAL,
 * STACK_GLOBAL) are resolved by the caller's `resolveGlobal`, which returns an inert value or a
 * `PyCallable` of its own (a JavaScript function that builds a record), or throws to refuse the name;
 * REDUCE and NEWOBJ call only such callables. INST, OBJ, NEWOBJ_EX, the extension registry (EXT*),
 * text persistent ids and out-of-band buffers are refused. Used by the PyTorch reader (pytorch.ts).
 *
 * Bounds: the input is at most what the caller read (64 MiB for data.pkl); integers of more than 64
 * bytes, memo indices beyond the memo, and stack underflows are errors, not crashes.
 */

/** A pickle the VM cannot read: damaged, or using an opcode it refuses. */
export class PickleError extends Error {
  override readonly name = 'PickleError';
}

/** Something the unpickler refuses to do (build an object by calling a class, use the extension registry, …). */
export class PickleRefused extends PickleError {}

/** A global the caller refused (its module and name, e.g. 'os', 'system'). */
export class PickleRefusedGlobal extends PickleRefused {
  constructor(
    readonly module: string,
    readonly qualname: string,
    message: string,
  ) {
    super(message);
  }
}

export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}

/** dict / OrderedDict: keys in insertion order (keys compared by value for numbers and strings). */
export class PyDict {
  readonly map = new Map<unknown, [PyValue, PyValue]>();
  /** attributes set by BUILD (e.g. a state_dict's `_metadata`); kept, never interpreted */
  attrs?: PyValue;
  set(k: PyValue, v: PyValue): void {
    this.map.set(dictKey(k), [k, v]);
  }
  get(k: string): PyValue | undefined {
    return this.map.get(dictKey(k))?.[1];
  }
  has(k: string): boolean {
    return this.map.has(dictKey(k));
  }
  entries(): Array<[PyValue, PyValue]> {
    return [...this.map.values()];
  }
}

function dictKey(k: PyValue, depth = 0): unknown {
  if (typeof k === 'string') return `s:${k}`;
  if (typeof k === 'number' || typeof k === 'bigint') return `n:${String(k)}`;
  if (typeof k === 'boolean') return `n:${k ? 1 : 0}`;
  if (k === null) return 'None';
  // tuples by value (nested ones only so deep: a hostile pickle can nest a million)
  if (k instanceof PyTuple && depth < 16) return `t:${k.items.map((x) => String(dictKey(x, depth + 1))).join('\u0000')}`;
  return k; // other objects: by identity
}

/** A function the caller allows REDUCE (call with args) or NEWOBJ (cls.__new__(cls, *args)) to run. */
export class PyCallable {
  constructor(
    readonly qualname: string,
    readonly call: (args: PyValue[]) => PyValue,
  ) {}
}

/** An object of a class (e.g. a TorchScript module) built by NEWOBJ; BUILD stores its state. */
export class PyObject {
  state: PyValue = null;
  constructor(readonly className: string) {}
}

/** Anything else the caller's callables return (tensors, storages, …). */
export interface PyRecord {
  readonly pyKind: string;
  /** what BUILD does on this record (absent: BUILD on it is refused) */
  build?(state: PyValue): void;
}

export type PyValue = null | boolean | number | bigint | string | Uint8Array | PyValue[] | PyTuple | PyDict | PyCallable | PyObject | PyRecord;

export interface UnpickleHooks {
  /** `module.name` → a value (a PyCallable for things that are called); throw PickleRefusedGlobal to refuse */
  resolveGlobal(module: string, name: string): PyValue;
  /** BINPERSID: the persistent id (a tuple for torch) → the value it stands for */
  persistentLoad(pid: PyValue): PyValue;
}

const MAX_LONG_BYTES = 64;

/** Unpickle `data` with `hooks`. Throws PickleError (or the hooks' errors). */
export function unpickle(data: Uint8Array, hooks: UnpickleHooks): PyValue {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const dec = new TextDecoder('utf-8', { fatal: true });
  let pos = 0;
  let stack: PyValue[] = [];
  const marks: PyValue[][] = [];
  const memo = new Map<number, PyValue>();

  const need = (n: number, what: string) => {
    if (n < 0 || pos + n > data.length) throw new PickleError(`the pickle ends inside ${what} (at byte ${pos})`);
  };
  const u8 = () => {
    need(1, 'an argument');
    return data[pos++];
  };
  const u16 = () => {
    need(2, 'an argument');
    const v = dv.getUint16(pos, true);
    pos += 2;
    return v;
  };
  const u32 = () => {
    need(4, 'an argument');
    const v = dv.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const u64 = () => {
    need(8, 'an argument');
    const v = dv.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(data.length)) throw new PickleError(`a length of ${v} bytes runs past the pickle's end (at byte ${pos - 8})`);
    return Number(v);
  };
  const bytes = (n: number, what: string) => {
    need(n, what);
    const b = data.subarray(pos, pos + n);
    pos += n;
    return b;
  };
  const utf8 = (b: Uint8Array) => {
    try {
      return dec.decode(b);
    } catch {
      throw new PickleError(`a string is not valid UTF-8 (before byte ${pos})`);
    }
  };
  const line = (what: string) => {
    const end = data.indexOf(0x0a, pos);
    if (end < 0) throw new PickleError(`the pickle ends inside ${what} (at byte ${pos})`);
    const s = Buffer.from(data.subarray(pos, end)).toString('latin1');
    pos = end + 1;
    return s;
  };
  const pop = (): PyValue => {
    if (stack.length === 0) throw new PickleError(`the pickle's stack is empty where a value is needed (at byte ${pos - 1})`);
    return stack.pop()!;
  };
  const top = (): PyValue => {
    if (stack.length === 0) throw new PickleError(`the pickle's stack is empty where a value is needed (at byte ${pos - 1})`);
    return stack[stack.length - 1];
  };
  const popMark = (): PyValue[] => {
    const items = stack;
    const prev = marks.pop();
    if (!prev) throw new PickleError(`a MARK is missing (at byte ${pos - 1})`);
    stack = prev;
    return items;
  };
  const get = (i: number): PyValue => {
    if (!memo.has(i)) throw new PickleError(`memo entry ${i} is used before it is set (at byte ${pos})`);
    return memo.get(i)!;
  };
  const long = (b: Uint8Array): number | bigint => {
    if (b.length === 0) return 0;
    if (b.length > MAX_LONG_BYTES) throw new PickleError(`an integer of ${b.length} bytes is implausibly large (at byte ${pos})`);
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const textInt = (s: string): number | bigint | boolean => {
    const t = s.replace(/L$/, '').trim();
    if (t === '00') return false;
    if (t === '01') return true;
    if (!/^[-+]?\d{1,60}$/.test(t)) throw new PickleError(`bad integer ${JSON.stringify(s.slice(0, 40))} (at byte ${pos})`);
    const v = BigInt(t);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const setItems = (d: PyValue, items: PyValue[]) => {
    if (!(d instanceof PyDict)) throw new PickleError(`SETITEMS on something that is not a dict (at byte ${pos - 1})`);
    if (items.length % 2) throw new PickleError(`SETITEMS with an odd number of items (at byte ${pos - 1})`);
    for (let i = 0; i < items.length; i += 2) d.set(items[i], items[i + 1]);
  };
  const append = (l: PyValue, items: PyValue[]) => {
    if (!Array.isArray(l)) throw new PickleError(`APPEND on something that is not a list (at byte ${pos - 1})`);
    for (const x of items) l.push(x);
  };
  const callable = (f: PyValue, op: string): PyCallable => {
    if (!(f instanceof PyCallable)) throw new PickleError(`${op} on something that is not callable (at byte ${pos - 1})`);
    return f;
  };
  const global = (module: string, name: string): PyValue => {
    if (!module || !name) throw new PickleError(`an empty global name (at byte ${pos})`);
    return hooks.resolveGlobal(module, name);
  };

  for (;;) {
    if (pos >= data.length) throw new PickleError('the pickle ends without its STOP opcode (it is cut off)');
    const op = data[pos++];
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) throw new PickleError(`pickle protocol ${data[pos - 1]} is newer than 5`);
        break;
      case 0x95: // FRAME
        u64();
        break;
      case 0x2e: // STOP
        return pop();
      case 0x28: // MARK
        marks.push(stack);
        stack = [];
        break;
      case 0x30: // POP
        if (stack.length) stack.pop();
        else popMark(); // POP with only a mark above: pops the mark (as CPython does)
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x4a: // BININT
        need(4, 'an argument');
        stack.push(dv.getInt32(pos, true));
        pos += 4;
        break;
      case 0x8a: // LONG1
        stack.push(long(bytes(u8(), 'an integer')));
        break;
      case 0x8b: {
        // LONG4
        const n = u32();
        if (n > MAX_LONG_BYTES) throw new PickleError(`an integer of ${n} bytes is implausibly large (at byte ${pos})`);
        stack.push(long(bytes(n, 'an integer')));
        break;
      }
      case 0x49: // INT (text)
        stack.push(textInt(line('an integer')));
        break;
      case 0x4c: // LONG (text)
        stack.push(textInt(line('an integer')) as number | bigint);
        break;
      case 0x46: {
        // FLOAT (text)
        const s = line('a float').trim();
        const v = Number(s);
        if (Number.isNaN(v) && !/^[-+]?nan$/i.test(s)) throw new PickleError(`bad float ${JSON.stringify(s.slice(0, 40))} (at byte ${pos})`);
        stack.push(v);
        break;
      }
      case 0x47: // BINFLOAT (big-endian)
        need(8, 'a float');
        stack.push(dv.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x58: // BINUNICODE
        stack.push(utf8(bytes(u32(), 'a string')));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(utf8(bytes(u8(), 'a string')));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(utf8(bytes(u64(), 'a string')));
        break;
      case 0x54: {
        // BINSTRING (Python 2 str): bytes as latin-1 text
        need(4, 'an argument');
        const n = dv.getInt32(pos, true);
        pos += 4;
        if (n < 0) throw new PickleError(`a negative string length (at byte ${pos})`);
        stack.push(Buffer.from(bytes(n, 'a string')).toString('latin1'));
        break;
      }
      case 0x55: // SHORT_BINSTRING
        stack.push(Buffer.from(bytes(u8(), 'a string')).toString('latin1'));
        break;
      case 0x42: // BINBYTES
        stack.push(bytes(u32(), 'bytes').slice());
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(bytes(u8(), 'bytes').slice());
        break;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        stack.push(bytes(u64(), 'bytes').slice());
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(new PyTuple([]));
        break;
      case 0x85: // TUPLE1
        stack.push(new PyTuple([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        const a = pop();
        stack.push(new PyTuple([a, b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push(new PyTuple([a, b, c]));
        break;
      }
      case 0x74: {
        // TUPLE (popMark first: it replaces `stack`)
        const items = popMark();
        stack.push(new PyTuple(items));
        break;
      }
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: {
        // LIST
        const items = popMark();
        stack.push(items);
        break;
      }
      case 0x61: {
        // APPEND
        const v = pop();
        append(top(), [v]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        append(top(), items);
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new PyDict());
        break;
      case 0x64: {
        // DICT
        const d = new PyDict();
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x8f: // EMPTY_SET (a set is read as a list)
        stack.push([]);
        break;
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        append(top(), items);
        break;
      }
      case 0x91: {
        // FROZENSET
        const items = popMark();
        stack.push(items);
        break;
      }
      case 0x70: // PUT (text)
        memo.set(Number(textInt(line('a memo index'))), top());
        break;
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x67: // GET (text)
        stack.push(get(Number(textInt(line('a memo index')))));
        break;
      case 0x68: // BINGET
        stack.push(get(u8()));
        break;
      case 0x6a: // LONG_BINGET
        stack.push(get(u32()));
        break;
      case 0x63: {
        // GLOBAL 'module\nname\n'
        const module = line('a global name');
        const name = line('a global name');
        stack.push(global(module, name));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') throw new PickleError(`STACK_GLOBAL with a name that is not a string (at byte ${pos - 1})`);
        stack.push(global(module, name));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const f = callable(pop(), 'REDUCE');
        if (!(args instanceof PyTuple)) throw new PickleError(`REDUCE with arguments that are not a tuple (at byte ${pos - 1})`);
        stack.push(f.call(args.items));
        break;
      }
      case 0x81: {
        // NEWOBJ: cls.__new__(cls, *args)
        const args = pop();
        const f = callable(pop(), 'NEWOBJ');
        if (!(args instanceof PyTuple)) throw new PickleError(`NEWOBJ with arguments that are not a tuple (at byte ${pos - 1})`);
        stack.push(f.call(args.items));
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        const obj = top();
        if (obj instanceof PyObject) obj.state = state;
        else if (obj instanceof PyDict) obj.attrs = state;
        else if (obj !== null && typeof obj === 'object' && 'pyKind' in obj && typeof obj.build === 'function') obj.build(state);
        else throw new PickleError(`BUILD (setting an object's state) on a ${typeName(obj)} (at byte ${pos - 1})`);
        break;
      }
      case 0x51: // BINPERSID
        stack.push(hooks.persistentLoad(pop()));
        break;
      case 0x98: // READONLY_BUFFER
        break;
      case 0x50:
        throw new PickleRefused('the pickle uses text persistent ids (PERSID), which PyTorch does not write');
      case 0x69:
      case 0x6f:
      case 0x92:
        throw new PickleRefused(`the pickle builds objects with the ${op === 0x69 ? 'INST' : op === 0x6f ? 'OBJ' : 'NEWOBJ_EX'} opcode, which is refused (it would call a class)`);
      case 0x82:
      case 0x83:
      case 0x84:
        throw new PickleRefused('the pickle refers to the copyreg extension registry (EXT opcodes), which is refused');
      case 0x97:
        throw new PickleRefused('the pickle uses out-of-band buffers (NEXT_BUFFER), which are not supported');
      case 0x53:
      case 0x56:
        throw new PickleRefused('the pickle uses protocol 0 text strings, which are not supported (PyTorch writes protocol 2)');
      default:
        throw new PickleError(`unknown pickle opcode 0x${op.toString(16).padStart(2, '0')} at byte ${pos - 1}`);
    }
  }
}

export function typeName(v: PyValue | undefined): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'string') return 'str';
  if (v instanceof Uint8Array) return 'bytes';
  if (Array.isArray(v)) return 'list';
  if (v instanceof PyTuple) return 'tuple';
  if (v instanceof PyDict) return 'dict';
  if (v instanceof PyCallable) return v.qualname;
  if (v instanceof PyObject) return v.className;
  return (v as PyRecord).pyKind;
}
