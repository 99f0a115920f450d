// Plain onnxruntime-node session.run loops over pre-made tensors, CPU and WebGPU, same model and batch.
// Usage: WIDTH=<input width> DIMS=<json layer widths> node bench/gpu/gpubench.js MODEL.onnx BATCHES ITERS (see run.sh)
const ort = require('onnxruntime-node');
const [model, batchesArg, itersArg] = process.argv.slice(2);
const batches = (batchesArg || '256,1024').split(',').map(Number);
const iters = Number(itersArg || 20);
function flops(dimsList) { let f = 0; for (let i = 0; i + 1 < dimsList.length; i++) f += 2 * dimsList[i] * dimsList[i + 1]; return f; }
(async () => {
  console.log(`# ${model}  onnxruntime-node ${ort.env.versions?.common ?? ''} backends ${JSON.stringify(ort.listSupportedBackends?.() ?? [])}`);
  const results = {};
  for (const ep of ['cpu', 'webgpu']) {
    let s;
    const t0 = performance.now();
    try { s = await ort.InferenceSession.create(model, { executionProviders: [ep], logSeverityLevel: 3 }); }
    catch (e) { console.log(`${ep}: session failed: ${String(e.message || e).split('\n')[0]}`); continue; }
    const createMs = performance.now() - t0;
    const inName = s.inputNames[0];
    const meta = s.inputMetadata?.[0];
    const width = Number(process.env.WIDTH);
    for (const b of batches) {
      let seed = 1; const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296) - 0.5;
      const data = new Float32Array(b * width); for (let i = 0; i < data.length; i++) data[i] = rnd();
      const feeds = { [inName]: new ort.Tensor('float32', data, [b, width]) };
      for (let i = 0; i < 3; i++) await s.run(feeds);
      const t = performance.now();
      let out;
      for (let i = 0; i < iters; i++) out = await s.run(feeds);
      const ms = (performance.now() - t) / iters;
      const o = out[s.outputNames[0]].data;
      const key = `${b}`;
      results[key] = results[key] || {};
      results[key][ep] = { ms, o };
      const gf = (flops(JSON.parse(process.env.DIMS)) * b) / (ms / 1000) / 1e9;
      console.log(`${ep.padEnd(6)} batch ${String(b).padStart(5)}: ${ms.toFixed(2)} ms/run  ${(b / (ms / 1000)).toFixed(0)} rows/s  ${gf.toFixed(0)} GFLOP/s  (session ${createMs.toFixed(0)} ms)`);
    }
    await s.release?.();
  }
  for (const [b, r] of Object.entries(results)) {
    if (r.cpu && r.webgpu) {
      let max = 0; for (let i = 0; i < r.cpu.o.length; i++) max = Math.max(max, Math.abs(r.cpu.o[i] - r.webgpu.o[i]));
      console.log(`batch ${b}: webgpu/cpu speed ${(r.cpu.ms / r.webgpu.ms).toFixed(2)}x, max |Δ| of outputs ${max.toExponential(2)}`);
    }
  }
})().catch((e) => { console.error(e); process.exit(1); });
