/**
 * Worker thread for the Keras reader: runs h5wasm (kerasHdf5.ts) away from the caller's thread, so
 * that keras.ts can stop it when a damaged HDF5 file sends the HDF5 library into an endless loop.
 * Bundles must build this file as its own entry point, `kerasWorker.js`, beside the file holding keras.ts.
 */
import { parentPort } from 'worker_threads';
import { ModelFormatError } from './errors';
import { h5Aborted, loadH5, readHdf5TensorRange, readHdf5Tensors, summarizeHdf5File, type ArchiveInfo } from './kerasHdf5';
import type { KerasWorkerResponse } from './keras';
import type { TensorData, TensorInfo } from './types';

type Request =
  | { id: number; op: 'summary'; h5path: string; abs: string; fileSize: number; archive?: ArchiveInfo }
  | { id: number; op: 'tensors'; h5path: string; abs: string; tensors: TensorInfo[] }
  | { id: number; op: 'range'; h5path: string; abs: string; tensor: TensorInfo; start: number; count: number };

const port = parentPort;
if (port) {
  port.on('message', (req: Request) => {
    void (async () => {
      let response: KerasWorkerResponse;
      const transfer: ArrayBuffer[] = [];
      try {
        const h5 = await loadH5();
        // the caller's time limit for this file starts now (loading h5wasm is not the file's doing)
        port.postMessage({ id: req.id, started: true } satisfies KerasWorkerResponse);
        if (req.op === 'summary') {
          response = { id: req.id, ok: true, result: summarizeHdf5File(h5, req.h5path, req.abs, req.fileSize, req.archive) };
        } else {
          const result: TensorData[] =
            req.op === 'range'
              ? [readHdf5TensorRange(h5, req.h5path, req.abs, req.tensor, req.start, req.count)]
              : readHdf5Tensors(h5, req.h5path, req.abs, req.tensors);
          const seen = new Set<ArrayBuffer>();
          for (const t of result) {
            if (!Array.isArray(t.data) && t.data.buffer instanceof ArrayBuffer && !seen.has(t.data.buffer)) {
              seen.add(t.data.buffer);
              transfer.push(t.data.buffer);
            }
          }
          response = { id: req.id, ok: true, result };
        }
      } catch (e) {
        const err = e instanceof Error ? e : new Error(String(e));
        response = {
          id: req.id,
          ok: false,
          error: e instanceof ModelFormatError ? { name: 'ModelFormatError', code: e.code, file: e.file, message: e.message } : { name: err.name, message: err.message },
        };
      }
      port.postMessage(response, transfer);
      // after an Emscripten abort the WebAssembly instance is not to be trusted: end this worker,
      // the next request starts a fresh one
      if (h5Aborted()) process.exit(0);
    })();
  });
}
