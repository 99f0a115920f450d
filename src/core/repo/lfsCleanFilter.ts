/**
 * A Git LFS clean filter that does what `git-lfs filter-process` does for `git add` of a file larger
 * than a pointer, in one process that starts no other: it reads the file's bytes from git (the
 * long-running filter protocol, version 2, clean only), hashes them (sha256, the LFS oid) while it
 * writes them to `<lfs dir>/tmp`, moves them to `<lfs dir>/objects/aa/bb/<oid>` (unless that object is
 * already there), and answers the pointer git-lfs writes:
 *
 *   version https://git-lfs.github.com/spec/v1
 *   oid sha256:<oid>
 *   size <bytes>
 *
 * git-lfs (3.x, Go) hashes without the CPU's SHA instructions and starts eight git processes to read
 * its configuration; this runs at OpenSSL's speed. ModelRepository.commitModel uses it only where it
 * gives exactly git-lfs's result (the standard git-lfs filter configuration, no LFS extensions, no
 * core.sharedRepository, a file larger than 1024 bytes, not on Windows); anything else, including a
 * file that shrinks to 1024 bytes or less while it is read (it could be a pointer, which git-lfs passes
 * through), is answered with an error so that the caller stages the file through git-lfs instead.
 *
 * Run as `node lfsCleanFilter.js` with MODELVER_LFS_DIR set to the local LFS directory (absolute).
 * It imports only Node's own modules: it is a file of its own in dist/ and starts in tens of ms.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

/** The bytes git-lfs leaves to the pointer check: at most this many may be a pointer. */
const POINTER_MAX = 1024;
/** The largest pkt-line payload (65520 bytes minus the 4-byte length). */
const MAX_PAYLOAD = 65516;

/** Reads pkt-lines from a file descriptor (blocking reads). */
export class PktReader {
  private buf = Buffer.allocUnsafe(1 << 20);
  private start = 0;
  private end = 0;
  constructor(private readonly fd: number) {}

  /** Make at least n bytes available; false at the end of input. */
  private fill(n: number): boolean {
    while (this.end - this.start < n) {
      if (this.start + n > this.buf.length) {
        // move what is left to the front (into a larger buffer when n does not fit)
        const to = n > this.buf.length ? Buffer.allocUnsafe(Math.max(n, 2 * this.buf.length)) : this.buf;
        this.buf.copy(to, 0, this.start, this.end);
        this.end -= this.start;
        this.start = 0;
        this.buf = to;
      }
      const got = fs.readSync(this.fd, this.buf, this.end, this.buf.length - this.end, null);
      if (got === 0) return false;
      this.end += got;
    }
    return true;
  }

  /** The next packet's payload (a view, valid until the next call), null for a flush packet, undefined at the end of input. */
  next(): Buffer | null | undefined {
    if (!this.fill(4)) {
      if (this.end > this.start) throw new Error('the input ends inside a pkt-line length');
      return undefined;
    }
    const len = parseInt(this.buf.toString('latin1', this.start, this.start + 4), 16);
    if (!Number.isInteger(len) || (len !== 0 && len < 4)) throw new Error(`bad pkt-line length ${this.buf.toString('latin1', this.start, this.start + 4)}`);
    if (len === 0) {
      this.start += 4;
      return null;
    }
    if (!this.fill(len)) throw new Error('the input ends inside a pkt-line');
    const payload = this.buf.subarray(this.start + 4, this.start + len);
    this.start += len;
    return payload;
  }

  /** The text lines of packets up to the next flush (each without its LF). */
  lines(): string[] | undefined {
    const out: string[] = [];
    for (;;) {
      const p = this.next();
      if (p === undefined) return out.length ? out : undefined;
      if (p === null) return out;
      out.push(p.toString('utf8').replace(/\n$/, ''));
    }
  }
}

/** Writes pkt-lines to a file descriptor (blocking writes). */
export class PktWriter {
  constructor(private readonly fd: number) {}
  private writeAll(b: Buffer): void {
    for (let off = 0; off < b.length; ) off += fs.writeSync(this.fd, b, off, b.length - off);
  }
  text(...lines: string[]): void {
    for (const l of lines) this.data(Buffer.from(l + '\n', 'utf8'));
  }
  data(b: Buffer): void {
    for (let off = 0; off < b.length; off += MAX_PAYLOAD) {
      const part = b.subarray(off, Math.min(b.length, off + MAX_PAYLOAD));
      this.writeAll(Buffer.concat([Buffer.from((part.length + 4).toString(16).padStart(4, '0'), 'latin1'), part]));
    }
  }
  flush(): void {
    this.writeAll(Buffer.from('0000', 'latin1'));
  }
}

/** Path of an object in the LFS directory (as lfs.ts's lfsObjectPath; this file imports nothing of ours). */
function objectPath(lfsDir: string, oid: string): string {
  return path.join(lfsDir, 'objects', oid.slice(0, 2), oid.slice(2, 4), oid);
}

/**
 * Clean one file: its content packets come from `r` up to a flush. Returns the pointer text, or
 * undefined (after reading all of the content) when it is not ours to clean: 1024 bytes or less, or an
 * object of that oid already in the store with another size.
 */
export function cleanContent(r: PktReader, lfsDir: string): string | undefined {
  const tmpDir = path.join(lfsDir, 'tmp');
  fs.mkdirSync(tmpDir, { recursive: true });
  const tmp = path.join(tmpDir, `modelver-clean-${process.pid}-${crypto.randomBytes(4).toString('hex')}`);
  const fd = fs.openSync(tmp, 'wx', 0o666);
  let closed = false;
  try {
    const h = crypto.createHash('sha256');
    let size = 0;
    for (;;) {
      const p = r.next();
      if (p === undefined) throw new Error('the input ended inside a file');
      if (p === null) break;
      h.update(p);
      for (let off = 0; off < p.length; ) off += fs.writeSync(fd, p, off, p.length - off);
      size += p.length;
    }
    fs.closeSync(fd);
    closed = true;
    if (size <= POINTER_MAX) return undefined;
    const oid = h.digest('hex');
    const obj = objectPath(lfsDir, oid);
    let there: fs.Stats | undefined;
    try {
      there = fs.statSync(obj);
    } catch {
      /* not there yet */
    }
    // an object of another size is damaged: git-lfs refuses it ("Files don't match"); let it say so
    if (there && there.size !== size) return undefined;
    if (!there) {
      fs.mkdirSync(path.dirname(obj), { recursive: true });
      fs.renameSync(tmp, obj);
    }
    return `version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize ${size}\n`;
  } finally {
    if (!closed) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
  }
}

/** The filter process: handshake, then one clean request after another until git closes the pipe. */
export function serve(input: number, output: number, lfsDir: string): void {
  const r = new PktReader(input);
  const w = new PktWriter(output);
  const hello = r.lines();
  if (!hello || hello[0] !== 'git-filter-client' || !hello.includes('version=2')) throw new Error(`not git's filter protocol, version 2: ${JSON.stringify(hello)}`);
  w.text('git-filter-server', 'version=2');
  w.flush();
  const caps = r.lines() ?? [];
  if (!caps.includes('capability=clean')) throw new Error('git does not offer the clean capability');
  w.text('capability=clean');
  w.flush();
  for (;;) {
    const req = r.lines();
    if (req === undefined) return; // git is done
    const command = req.find((l) => l.startsWith('command='))?.slice('command='.length);
    if (command !== 'clean') {
      // only clean was announced; read the content and refuse
      while (r.next()) {
        /* skip */
      }
      w.text('status=error');
      w.flush();
      continue;
    }
    let pointer: string | undefined;
    try {
      pointer = cleanContent(r, lfsDir);
    } catch (e) {
      process.stderr.write(`modelver clean filter: ${(e as Error).message}\n`);
      w.text('status=error');
      w.flush();
      continue;
    }
    if (pointer === undefined) {
      w.text('status=error');
      w.flush();
      continue;
    }
    w.text('status=success');
    w.flush();
    w.data(Buffer.from(pointer, 'utf8'));
    w.flush();
    w.flush(); // the status stays "success"
  }
}

if (require.main === module) {
  const lfsDir = process.env.MODELVER_LFS_DIR;
  if (!lfsDir || !path.isAbsolute(lfsDir)) {
    process.stderr.write('modelver clean filter: MODELVER_LFS_DIR must name the local LFS directory (an absolute path).\n');
    process.exit(2);
  }
  try {
    serve(0, 1, lfsDir);
  } catch (e) {
    process.stderr.write(`modelver clean filter: ${(e as Error).message}\n`);
    process.exit(1);
  }
}
