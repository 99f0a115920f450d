import * as assert from 'assert';
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EvalClient } from '../../src/core/eval/client';
import { REPO_ROOT } from '../support/paths';

describe('modelver eval-host --listen', function () {
  this.timeout(60000);
  let dir: string;
  let child: ChildProcess | undefined;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-evalhost-cli-'))));
  after(() => {
    child?.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('serves remote clients that present the token from --token-file, on loopback', async () => {
    const tokenFile = path.join(dir, 'token');
    fs.writeFileSync(tokenFile, 'a-long-random-token\n');
    const cli = path.join(REPO_ROOT, 'out', 'src', 'cli', 'bin.js');
    child = spawn(process.execPath, [cli, 'eval-host', '--listen', '127.0.0.1:0', '--token-file', tokenFile, '--cache-dir', path.join(dir, 'cache')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const url = await new Promise<string>((resolve, reject) => {
      let err = '';
      child!.stderr!.on('data', (b: Buffer) => {
        err += b.toString();
        const m = /listening on (ws:\/\/127\.0\.0\.1:\d+)/.exec(err);
        if (m) resolve(m[1]);
      });
      child!.on('exit', (code) => reject(new Error(`eval-host exited with ${code}: ${err}`)));
      setTimeout(() => reject(new Error(`no listening line after 20 s: ${err}`)), 20000);
    });
    const client = await EvalClient.remote(url, 'a-long-random-token');
    try {
      const info = await client.initialize({ provider: 'cpu' });
      assert.strictEqual(info.provider, 'cpu');
    } finally {
      client.dispose();
    }
    await assert.rejects(EvalClient.remote(url, 'wrong-token').then((c) => c.initialize()), /401|unauthori[sz]ed|token/i);
  });
});
