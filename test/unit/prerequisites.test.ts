/**
 * `npm test` / `npm start` on a fresh machine install their Debian prerequisites or say exactly what to
 * run: scripts/ensure-apt.sh (the package list, waiting for another apt's locks, no root / no sudo) and
 * scripts/install-code-server.sh (installs its prerequisites through ensure-apt instead of refusing).
 * The scripts run for real (bash), with dpkg-query/apt-get/id/sudo/npm replaced by fakes on a PATH that
 * holds only the tools they need; the apt locks are real POSIX locks on temp files (what dpkg takes).
 */
import * as assert from 'assert';
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { REPO_ROOT } from '../support/paths';

const ENSURE_APT = path.join(REPO_ROOT, 'scripts', 'ensure-apt.sh');
const INSTALL_CS = path.join(REPO_ROOT, 'scripts', 'install-code-server.sh');
const PY = '/usr/bin/python3';

/** The real tools the scripts use besides the faked ones. */
const REAL_TOOLS = ['bash', 'sh', 'env', 'grep', 'awk', 'stat', 'date', 'tr', 'cut', 'sleep', 'cat', 'head', 'tail', 'mkdir', 'dirname', 'ln', 'rm', 'printf', 'true', 'false'];

function which(tool: string): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).concat(['/usr/bin', '/bin'])) {
    const p = path.join(dir, tool);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  throw new Error(`${tool} not found on PATH`);
}

interface Fakes {
  bin: string;
  log: string;
  env: NodeJS.ProcessEnv;
}

/**
 * A PATH with only the real tools above plus fakes: dpkg-query (a package is installed when its name is
 * in $FAKE_INSTALLED, a file of names), apt-get (logs "<epoch-ms> <args>" to $FAKE_LOG; `install` adds
 * the names to $FAKE_INSTALLED and, for ripgrep, puts an `rg` on PATH), id (prints $FAKE_UID).
 */
function makeFakes(dir: string, extra: Record<string, string> = {}): Fakes {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  for (const t of REAL_TOOLS) fs.symlinkSync(which(t), path.join(bin, t));
  const log = path.join(dir, 'apt.log');
  const installed = path.join(dir, 'installed');
  fs.writeFileSync(installed, '');
  const script = (name: string, body: string): void => fs.writeFileSync(path.join(bin, name), `#!${which('bash')}\n${body}\n`, { mode: 0o755 });
  script('dpkg-query', 'pkg="${@: -1}"; if grep -qx -- "$pkg" "$FAKE_INSTALLED"; then printf "install ok installed"; else echo "dpkg-query: no packages found matching $pkg" >&2; exit 1; fi');
  script(
    'apt-get',
    [
      'echo "$(date +%s%3N) $*" >>"$FAKE_LOG"',
      'if [[ " $* " == *" install "* ]]; then',
      '  for a in "$@"; do case "$a" in -*|install|*=*) ;; *) echo "$a" >>"$FAKE_INSTALLED"; if [ "$a" = ripgrep ]; then ln -sf "$(command -v true)" "$(dirname "$0")/rg"; fi ;; esac; done',
      'fi',
      'exit 0',
    ].join('\n'),
  );
  script('id', 'if [ "$1" = -u ]; then echo "${FAKE_UID:-0}"; else echo "uid=${FAKE_UID:-0}"; fi');
  for (const [name, body] of Object.entries(extra)) script(name, body);
  // the real apt locks are left alone: a test that wants a lock held sets its own MV_APT_LOCK_FILES
  const env = { PATH: bin, HOME: dir, FAKE_LOG: log, FAKE_INSTALLED: installed, LANG: 'C', MV_APT_LOCK_FILES: path.join(dir, 'no-such-lock') };
  return { bin, log, env };
}

const aptCalls = (f: Fakes): { t: number; args: string }[] =>
  fs.existsSync(f.log)
    ? fs
        .readFileSync(f.log, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => ({ t: Number(l.slice(0, l.indexOf(' '))), args: l.slice(l.indexOf(' ') + 1) }))
    : [];

/** Holds a POSIX write lock (fcntl, as dpkg and apt take theirs) on `file` for `ms`; resolves once held. */
function holdLock(file: string, ms: number, releasedAt: string): Promise<ChildProcess> {
  const code = "import fcntl, sys, time; f = open(sys.argv[1], 'w'); fcntl.lockf(f, fcntl.LOCK_EX); print('locked', flush=True); time.sleep(float(sys.argv[2])); open(sys.argv[3], 'w').write(str(int(time.time() * 1000))); f.close()";
  const child = spawn(PY, ['-c', code, file, String(ms / 1000), releasedAt], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (c) => reject(new Error(`the lock holder exited (${c}) before locking`)));
    child.stdout!.once('data', () => resolve(child));
  });
}

function defaultPackages(): string[] {
  const m = /^DEFAULT_PACKAGES="([^"]*)"/m.exec(fs.readFileSync(ENSURE_APT, 'utf8'));
  assert.ok(m, 'scripts/ensure-apt.sh has no DEFAULT_PACKAGES="…" line');
  return m[1].split(/\s+/).filter(Boolean);
}

describe('prerequisites on a fresh machine (scripts/ensure-apt.sh, install-code-server.sh)', function () {
  this.timeout(30_000);
  let tmp: string;
  const holders: ChildProcess[] = [];
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-prereq-'));
  });
  afterEach(() => {
    for (const h of holders.splice(0)) if (h.exitCode === null) h.kill();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('the default package list holds everything the build, the tests and code-server use', () => {
    const pkgs = defaultPackages();
    const needed = ['git', 'git-lfs', 'chromium', 'ripgrep', 'libkrb5-dev', 'pkg-config', 'g++', 'make', 'python3', 'python3-onnx', 'python3-h5py', 'python3-numpy'];
    assert.deepStrictEqual(needed.filter((p) => !pkgs.includes(p)), [], `missing from DEFAULT_PACKAGES (${pkgs.join(' ')})`);
    // and every python module a test imports comes from one of them
    const modules = new Set<string>();
    for (const dir of ['test', 'bench', 'scripts']) {
      for (const f of walkSources(path.join(REPO_ROOT, dir))) {
        const text = fs.readFileSync(f, 'utf8');
        for (const m of text.matchAll(/^\s*from\s+([A-Za-z_]\w*)/gm)) modules.add(m[1]);
        for (const m of text.matchAll(/^\s*import\s+([^\n;'"{*]+)$/gm)) {
          for (const part of m[1].split(',')) modules.add(part.trim().split(/[\s.]/)[0]);
        }
      }
    }
    const provided: Record<string, string> = { onnx: 'python3-onnx', h5py: 'python3-h5py', numpy: 'python3-numpy', torch: 'python3-torch', scipy: 'python3-scipy', sklearn: 'python3-sklearn' };
    const unmet = [...modules].filter((m) => provided[m] && !pkgs.includes(provided[m])).map((m) => `${m} (${provided[m]})`);
    assert.deepStrictEqual(unmet, [], 'python modules the tests import whose Debian package is not in the list');
  });

  it('with all packages present it installs nothing', () => {
    const f = makeFakes(tmp);
    fs.writeFileSync(f.env.FAKE_INSTALLED!, 'git\ngit-lfs\n');
    const r = spawnSync(which('bash'), [ENSURE_APT], { env: { ...f.env, MV_APT_PACKAGES: 'git git-lfs' }, encoding: 'utf8' });
    assert.strictEqual(r.status, 0, r.stderr);
    assert.match(r.stdout, /all present \(git git-lfs\)/);
    assert.deepStrictEqual(aptCalls(f), []);
  });

  it('waits, saying who holds it, while another apt holds a lock; installs once it is free', async () => {
    const f = makeFakes(tmp);
    const lock = path.join(tmp, 'lock-frontend');
    const released = path.join(tmp, 'released');
    const holder = await holdLock(lock, 1500, released);
    holders.push(holder);
    const r = spawnSync(which('bash'), [ENSURE_APT], {
      env: { ...f.env, MV_APT_PACKAGES: 'git-lfs ripgrep', MV_APT_LOCK_FILES: lock, MV_APT_LOCK_POLL: '0.1' },
      encoding: 'utf8',
    });
    assert.strictEqual(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`another apt/dpkg holds ${lock.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(pid ${holder.pid}: .*python3.*\\); waiting up to 300 s`));
    assert.match(r.stdout, /the apt locks are free after \d+ s/);
    const calls = aptCalls(f);
    assert.deepStrictEqual(
      calls.map((c) => c.args),
      ['-o DPkg::Lock::Timeout=300 update -qq', '-o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends git-lfs ripgrep'],
    );
    const releasedAt = Number(fs.readFileSync(released, 'utf8'));
    assert.ok(calls[0].t >= releasedAt, `apt-get ran at ${calls[0].t}, before the lock was released at ${releasedAt}`);
  });

  it('gives up after MV_APT_LOCK_TIMEOUT with the command to run later, without running apt-get', async () => {
    const f = makeFakes(tmp);
    const lock = path.join(tmp, 'lock');
    holders.push(await holdLock(lock, 20_000, path.join(tmp, 'released')));
    const start = Date.now();
    const r = spawnSync(which('bash'), [ENSURE_APT], {
      env: { ...f.env, MV_APT_PACKAGES: 'git-lfs', MV_APT_LOCK_FILES: lock, MV_APT_LOCK_TIMEOUT: '1', MV_APT_LOCK_POLL: '0.1' },
      encoding: 'utf8',
    });
    assert.strictEqual(r.status, 1, r.stdout + r.stderr);
    assert.ok(Date.now() - start < 10_000, 'it waited far longer than MV_APT_LOCK_TIMEOUT');
    assert.match(r.stderr, /is still held by pid \d+ .* after 1 s\. When it has finished, run:/);
    assert.match(r.stderr, /bash scripts\/ensure-apt\.sh {6}\(or as root: apt-get update && apt-get install -y --no-install-recommends git-lfs\)/);
    assert.deepStrictEqual(aptCalls(f), []);
  });

  it('not root and no sudo: stops at once with the exact command to run as root', () => {
    const f = makeFakes(tmp);
    const r = spawnSync(which('bash'), [ENSURE_APT], { env: { ...f.env, FAKE_UID: '1000', MV_APT_PACKAGES: 'git-lfs python3-onnx' }, encoding: 'utf8' });
    assert.strictEqual(r.status, 1);
    assert.match(r.stderr, /missing git-lfs python3-onnx, and this is not root and there is no sudo\. As root run:\n {2}apt-get update && apt-get install -y --no-install-recommends git-lfs python3-onnx\n/);
    assert.deepStrictEqual(aptCalls(f), []);
  });

  it('not root, sudo wants a password and there is no terminal: stops at once with the sudo command', () => {
    const f = makeFakes(tmp, { sudo: 'if [ "$1" = -n ]; then echo "sudo: a password is required" >&2; exit 1; fi; echo "sudo $*" >>"$FAKE_LOG"; exec "$@"' });
    const r = spawnSync(which('bash'), [ENSURE_APT], { env: { ...f.env, FAKE_UID: '1000', MV_APT_PACKAGES: 'git-lfs' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    assert.strictEqual(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /sudo needs a password and there is no terminal to ask for it\. Run:\n {2}sudo sh -c 'apt-get update && apt-get install -y --no-install-recommends git-lfs'/);
    assert.deepStrictEqual(aptCalls(f), []);
  });

  it('not root with password-less sudo: installs through sudo', () => {
    const f = makeFakes(tmp, { sudo: 'if [ "$1" = -n ]; then shift; fi; exec "$@"' });
    const r = spawnSync(which('bash'), [ENSURE_APT], { env: { ...f.env, FAKE_UID: '1000', MV_APT_PACKAGES: 'git-lfs' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    assert.strictEqual(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /\+ sudo apt-get install -y --no-install-recommends git-lfs/);
    assert.strictEqual(aptCalls(f).length, 2);
  });

  it('install-code-server.sh installs its missing prerequisites through ensure-apt instead of refusing', () => {
    // everything but rg is there (g++, make, python3 and pkg-config, which finds krb5-gssapi, are fakes);
    // npm fails on purpose so that the run stops right after the prerequisites
    const f = makeFakes(tmp, { npm: 'echo "fake npm: $*" >&2; exit 7', 'g++': 'exit 0', make: 'exit 0', python3: 'exit 0', 'pkg-config': 'exit 0' });
    fs.symlinkSync(process.execPath, path.join(f.bin, 'node'));
    const r = spawnSync(which('bash'), [INSTALL_CS], { env: { ...f.env, CODE_SERVER_DIR: path.join(tmp, 'cs') }, encoding: 'utf8' });
    const out = r.stdout + r.stderr;
    assert.doesNotMatch(out, /install-code-server: missing prerequisites|still missing/, out);
    assert.match(r.stdout, /installing the missing prerequisites \(rg.*\) with scripts\/ensure-apt\.sh/);
    const install = aptCalls(f).find((c) => / install /.test(` ${c.args} `));
    assert.ok(install, `apt-get install was not run:\n${out}`);
    assert.match(install.args, /--no-install-recommends ripgrep$/);
    assert.match(r.stdout, /Installing code-server 4\.100\.3 into/, out);
    assert.strictEqual(r.status, 7, `expected the fake npm's failure after the prerequisites:\n${out}`);
  });
});

function walkSources(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : []) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules' && e.name !== 'fixtures') out.push(...walkSources(full));
    } else if (/\.(ts|js|py|sh)$/.test(e.name)) out.push(full);
  }
  return out;
}
