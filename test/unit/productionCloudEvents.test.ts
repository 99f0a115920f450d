/**
 * KServe and Seldon Core payload logs (src/core/production/cloudevents.ts): the fixtures in
 * test/fixtures/production/ce-*.jsonl were written by hand to the formats of the serving systems' own
 * sources (KServe pkg/logger/worker.go and the example events of its logger sample; Seldon Core
 * executor/logger/worker.go and its request-logger's examples; the Open Inference Protocol V2): each
 * request paired with its response, each instance of a batch one event, field by field as the
 * fixtures say. Bad input named with its line and what to do.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readEvents, type PredictionEvent, type ReadOptions } from '../../src/core/production/events';
import { cli } from '../support/cli';
import { fixture } from '../support/paths';

const P = (f: string) => fixture('production', f);
const IRIS = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
const t = (iso: string) => Date.parse(iso);

async function read(file: string, opts: ReadOptions): Promise<{ e: PredictionEvent; line: number }[]> {
  const out: { e: PredictionEvent; line: number }[] = [];
  await readEvents(file, (e, line) => out.push({ e, line }), opts);
  return out;
}

describe('KServe / Seldon CloudEvents payload logs', function () {
  this.timeout(30000);
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-cloudevents-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, events: unknown[]) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, events.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))).join('\n') + '\n');
    return f;
  };
  const rejects = async (file: string, opts: ReadOptions, re: RegExp) => {
    await assert.rejects(read(file, { defaultModel: 'm.onnx', mapping: { endpoint: 'version' }, ...opts }), (e: Error) => {
      assert.match(e.message, re);
      return true;
    });
  };

  it('KServe V1: requests paired with their responses in either order, batches split, an unanswered request kept without a prediction', async () => {
    const got = await read(P('ce-kserve-v1.jsonl'), { mapping: { endpoint: 'version' }, defaultModel: 'models/iris.onnx', featureNames: IRIS });
    const A = '0009174a-24a8-4603-b098-09c8799950e9';
    const iris = (...v: number[]) => Object.fromEntries(IRIS.map((n, i) => [n, v[i]]));
    const base = { model: 'models/iris.onnx' };
    assert.deepStrictEqual(got, [
      { line: 1, e: { ...base, timestamp: t('2021-04-10T00:23:26.078Z'), version: 'default', requestId: `${A}#0`, prediction: 1, features: iris(6.8, 2.8, 4.8, 1.4), latencyMs: 2 } },
      { line: 1, e: { ...base, timestamp: t('2021-04-10T00:23:26.078Z'), version: 'default', requestId: `${A}#1`, prediction: 1, features: iris(6.0, 3.4, 4.5, 1.6), latencyMs: 2 } },
      { line: 5, e: { ...base, timestamp: t('2021-04-10T00:24:01.497Z'), version: 'canary', requestId: '5f1c2e8a-7d3b-4c1e-9a0f-2b6d8e4c1a77', prediction: 2, features: iris(6.3, 3.3, 6.0, 2.5), latencyMs: 15 } },
      { line: 6, e: { ...base, timestamp: t('2021-04-10T00:25:10Z'), version: 'canary', requestId: 'c3a9e0b2-1f4d-4b8e-8c2a-6e5d7f9a0b13', prediction: 0.08, features: iris(5.1, 3.5, 1.4, 0.2), latencyMs: 25 } },
      { line: 8, e: { ...base, timestamp: t('2021-04-10T00:26:00Z'), version: 'default', requestId: 'e7b1d4f6-3a2c-4e9b-b5d8-0c1f2a3e4d5b', features: iris(5.9, 3.0, 5.1, 1.8) } },
    ]);
    // without names an array instance's values are f0, f1, …; without a version attribute: what to map
    const unnamed = await read(P('ce-kserve-v1.jsonl'), { mapping: { endpoint: 'version' }, defaultModel: 'm.onnx' });
    assert.deepStrictEqual(unnamed[0].e.features, { f0: 6.8, f1: 2.8, f2: 4.8, f3: 1.4 });
    await assert.rejects(read(P('ce-kserve-v1.jsonl'), { defaultModel: 'm.onnx' }), /ce-kserve-v1\.jsonl, line 1: the request '0009174a-[^']+': no version: name the attribute that tells the versions apart with --map ATTRIBUTE=version \(e\.g\. --map endpoint=version/);
  });

  it('KServe V2 (Open Inference Protocol): tensors by name, the version from model_version, data_base64, an output chosen with --map', async () => {
    const got = await read(P('ce-kserve-v2.jsonl'), { defaultModel: 'models/iris.onnx' });
    const id = (k: number) => `7a1b2c3d-000${k}-4e5f-8a9b-0c1d2e3f4a5b`;
    assert.deepStrictEqual(
      got.map(({ e }) => [e.requestId, e.version, e.prediction, e.features, e.latencyMs, e.timestamp]),
      [
        [`${id(1)}#0`, 'v3', 1, { f0: 6.8, f1: 2.8, f2: 4.8, f3: 1.4 }, 12, t('2026-11-03T10:00:00Z')],
        [`${id(1)}#1`, 'v3', 2, { f0: 6.0, f1: 3.4, f2: 4.5, f3: 1.6 }, 12, t('2026-11-03T10:00:00Z')],
        // the first output, [p0, p1] per instance: p1
        [`${id(2)}#0`, 'v4', 0.25, { sessions: 3, device: 'mobile' }, 30, t('2026-11-03T10:00:05Z')],
        [`${id(2)}#1`, 'v4', 0.6, { sessions: 12, device: 'desktop' }, 30, t('2026-11-03T10:00:05Z')],
      ],
    );
    // --map label=prediction: the output named label (the first response has none: said so)
    const opts: ReadOptions = { defaultModel: 'm.onnx', mapping: { label: 'prediction', endpoint: 'version' } };
    await assert.rejects(read(P('ce-kserve-v2.jsonl'), opts), /ce-kserve-v2\.jsonl, line 2: the response '7a1b2c3d-0001-[^']+': the response has no output named 'label' \(outputs: predict\)/);
    const second = write('v2-second.jsonl', fs.readFileSync(P('ce-kserve-v2.jsonl'), 'utf8').trimEnd().split('\n').slice(2));
    const labels = await read(second, opts);
    assert.deepStrictEqual(labels.map(({ e }) => [e.version, e.prediction]), [['canary', 0], ['canary', 1]]);
  });

  it('Seldon: paired by requestid, SeldonMessage names / ndarray / tensor, a binary-mode dump of headers and body', async () => {
    const got = await read(P('ce-seldon.jsonl'), { defaultModel: 'models/m.onnx', mapping: { endpoint: 'version' } });
    const R = '11226d35-9679-40fe-a21b-d22bb55fbe0e';
    assert.deepStrictEqual(
      got.map(({ e, line }) => [line, e.requestId, e.version, e.prediction, e.features, e.latencyMs, e.timestamp]),
      [
        [1, `${R}#0`, 'example', 0.1951846770138402, { f0: 0.77, f1: 0.63 }, 40, t('2020-02-06T16:41:24Z')],
        [1, `${R}#1`, 'example', 0.6, { f0: 0.12, f1: 0.9 }, 40, t('2020-02-06T16:41:24Z')],
        // three class scores: the index of the largest
        [3, '12b0d447-288e-42a0-a7b4-b630c8b4895c', 'example', 1, { f0: 2, f1: 1 }, 13, t('2022-08-16T22:38:13.447Z')],
      ],
    );
    await rejects(P('ce-seldon.jsonl'), { source: 'kserve' }, /ce-seldon\.jsonl: none of its 4 events is an inference request or response of KServe \(org\.kubeflow\.serving\.inference\.\*\) \(4 of other types\)/);
  });

  it('abtest and monitor read the log; request ids join an outcomes log (<id>#<index> for a batch)', async () => {
    const outcomes = write('outcomes.jsonl', [
      { request_id: '0009174a-24a8-4603-b098-09c8799950e9#0', outcome: 1 },
      { request_id: '5f1c2e8a-7d3b-4c1e-9a0f-2b6d8e4c1a77', outcome: 1 },
    ]);
    const args = ['--log', P('ce-kserve-v1.jsonl'), '--map', 'endpoint=version', '--model', 'models/iris.onnx', '--feature-names', IRIS.join(','), '-C', dir, '--json'];
    const ab = await cli(['abtest', ...args, '--outcomes', outcomes, '--control', 'default']);
    assert.strictEqual(ab.code, 0, ab.err);
    const rep = JSON.parse(ab.out) as { variants: { label: string; exposures: number; total: number }[] };
    assert.deepStrictEqual(rep.variants.map((v) => [v.label, v.exposures, v.total]), [['default', 3, 1], ['canary', 2, 1]]);
    const mon = await cli(['monitor', ...args]);
    assert.strictEqual(mon.code, 0, mon.err);
    const m = JSON.parse(mon.out) as { versions: { version: string; exposures: number }[] };
    assert.deepStrictEqual(m.versions.map((v) => [v.version, v.exposures]).sort(), [['canary', 2], ['default', 3]]);
    const bad = await cli(['abtest', ...args, '--source', 'triton']);
    assert.strictEqual(bad.code, 2);
    assert.match(bad.err, /--source triton: give kserve or seldon/);
  });

  it('bad input: a malformed event, a batch that does not match its response, too many unpaired requests — each named with its line', async () => {
    const req = (id: string, instances: unknown[], extra: Record<string, unknown> = {}) => ({ specversion: '1.0', type: 'org.kubeflow.serving.inference.request', source: 's', id, time: '2026-11-03T10:00:00Z', endpoint: 'default', data: { instances }, ...extra });
    const res = (id: string, predictions: unknown[]) => ({ specversion: '1.0', type: 'org.kubeflow.serving.inference.response', source: 's', id, time: '2026-11-03T10:00:00.010Z', endpoint: 'default', data: { predictions } });
    const noId = { ...req('x', [[1]]) } as Record<string, unknown>;
    delete noId.id;
    await rejects(write('noid.jsonl', [req('a', [[1]]), noId]), {}, /noid\.jsonl, line 2: not a CloudEvent: the attribute 'id' is missing \(attributes: specversion, type, source, time, endpoint\); each line holds one event in structured mode/);
    await rejects(write('json.jsonl', [req('a', [[1]]), '{"specversion": "1.0", "type": "org.kubeflow.serving.inference.request", "id": "b", data: 1}']), {}, /json\.jsonl, line 2: not a JSON object/);
    await rejects(write('text.jsonl', [req('a', [[1]], { data: 'hello' })]), {}, /text\.jsonl, line 1: the event's data is not JSON \(hello\)/);
    await rejects(write('notime.jsonl', [req('a', [[1]], { time: undefined })]), {}, /notime\.jsonl, line 1: the request 'a' has no 'time' attribute/);
    await rejects(write('count.jsonl', [req('a', [[1], [2]]), res('a', [0.5])]), {}, /count\.jsonl, line 1: the request 'a': the request holds 2 instances and its response \(line 2\) 1 prediction/);
    await rejects(write('twice.jsonl', [req('a', [[1]]), req('a', [[2]])]), {}, /twice\.jsonl, line 2: a second request with the id 'a' \(the first at line 1\) before its response/);
    await rejects(write('payload.jsonl', [req('a', [[1]], { data: { rows: [1] } })]), {}, /payload\.jsonl, line 1: the request 'a': the request's data holds none of instances \(V1\), inputs \(V2\) or data \(SeldonMessage\); its keys: rows/);
    // more than maxPending waiting while both kinds are in the log: refused, naming the oldest
    await rejects(write('pending.jsonl', [res('x', [1]), req('a', [[1]]), req('b', [[1]])]), { maxPending: 2 }, /pending\.jsonl, line 3: 3 requests and responses wait for their other half \(the oldest: the response 'x' at line 1\); a request and its response are paired by id and must be at most 2 events apart/);
    // a log of requests only (KServe's logger in mode "request"): each request stands alone
    const only = await read(write('requests.jsonl', [req('a', [[1]]), req('b', [[2]]), req('c', [[3]]), req('d', [[4]])]), { maxPending: 2, defaultModel: 'm.onnx', mapping: { endpoint: 'version' } });
    assert.deepStrictEqual(only.map(({ e }) => [e.requestId, e.prediction, e.features]), [
      ['a', undefined, { f0: 1 }],
      ['b', undefined, { f0: 2 }],
      ['c', undefined, { f0: 3 }],
      ['d', undefined, { f0: 4 }],
    ]);
    await rejects(write('late.jsonl', [req('a', [[1]]), req('b', [[2]]), req('c', [[3]]), res('a', [1])]), { maxPending: 2 }, /late\.jsonl, line 4: a response appears after 2 requests with none/);
  });
});
