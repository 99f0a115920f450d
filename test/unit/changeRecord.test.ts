import * as assert from 'assert';
import { ModelRepository } from '../../src/core/repo';
import { fixture } from '../support/paths';
import { put, SILERO, TempSpace } from './repoTestUtil';

describe('change records: what a commit changed, in its trailers', function () {
  this.timeout(120000);
  let space: TempSpace;
  before(() => (space = new TempSpace()));
  after(() => space.cleanup());

  it('records a breaking interface change against the previous version', async () => {
    const dir = space.repo('breaking');
    const repo = await ModelRepository.open(dir, { env: space.env });
    put(dir, 'models/wake.onnx', fixture('onnx', 'hello_deepa_old.onnx'));
    const v1 = await repo.commitModel('models/wake.onnx', 'first');
    assert.strictEqual(v1.trailers['Model-Change'], undefined, 'v1 has no previous version to compare with');
    put(dir, 'models/wake.onnx', fixture('onnx', 'hello_deepa.onnx'));
    const v2 = await repo.commitModel('models/wake.onnx', 'wider input');
    assert.match(v2.trailers['Model-Change'] ?? '', /breaking: input onnx::Flatten_0 \[1,24,96\] → \[1,25,96\]/);
    assert.strictEqual(v2.trailers['Model-Breaking'], 'true');
    // the record is in the commit itself, readable with plain git
    const msg = space.git(dir, 'log', '-1', '--format=%B');
    assert.match(msg, /^Model-Change: breaking: input onnx::Flatten_0/m);
    const [latest] = (await repo.versions('models/wake.onnx')).slice(-1);
    assert.strictEqual(latest.trailers['Model-Breaking'], 'true');
  });

  it('records retrained weights with the interface unchanged (silero v5 → v6)', async () => {
    const dir = space.repo('retrained');
    const repo = await ModelRepository.open(dir, { env: space.env });
    put(dir, 'vad.onnx', SILERO[1]);
    await repo.commitModel('vad.onnx', 'v5');
    put(dir, 'vad.onnx', SILERO[2]);
    const c = await repo.commitModel('vad.onnx', 'v6');
    assert.match(c.trailers['Model-Change'] ?? '', /retrained: \d+\/\d+ weight tensors changed, interface unchanged/);
    assert.strictEqual(c.trailers['Model-Breaking'], undefined);
  });
});

describe('readAtRevision: a model file at HEAD, a commit or the index', function () {
  this.timeout(60000);
  let space: TempSpace;
  before(() => (space = new TempSpace()));
  after(() => space.cleanup());

  it('returns the LFS content (not the pointer) at HEAD and at an older commit, verified', async () => {
    const fs = await import('fs');
    const path = await import('path');
    const dir = space.repo('rev');
    const repo = await ModelRepository.open(dir, { env: space.env });
    put(dir, 'm.onnx', fixture('onnx', 'hello_deepa_old.onnx'));
    const v1 = await repo.commitModel('m.onnx', 'one');
    put(dir, 'm.onnx', fixture('onnx', 'hello_deepa.onnx'));
    await repo.commitModel('m.onnx', 'two');
    const out = path.join(space.dir, 'out.onnx');
    const head = await repo.readAtRevision('HEAD', 'm.onnx', out);
    assert.ok(fs.readFileSync(out).equals(fs.readFileSync(fixture('onnx', 'hello_deepa.onnx'))));
    assert.strictEqual(head.source, 'local');
    await repo.readAtRevision(v1.commit, path.join(dir, 'm.onnx'), out);
    assert.ok(fs.readFileSync(out).equals(fs.readFileSync(fixture('onnx', 'hello_deepa_old.onnx'))));
    await assert.rejects(repo.readAtRevision('HEAD', 'missing.onnx', out), /does not exist at HEAD/);
    await assert.rejects(repo.readAtRevision('--output=/tmp/x', 'm.onnx', out), /Not a revision/);
  });
});
