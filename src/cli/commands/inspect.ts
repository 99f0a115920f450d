import { parseArgs } from 'util';
import { describeSummary, readModelSummary } from '../../core/formats';
import type { CliIO } from '../main';
import { UsageError } from '../errors';

const usage = `usage: modelver inspect <model-file> [--json] [--tensors N]

Summarize a model file (ONNX, Keras HDF5, Keras 3 .keras, PyTorch, safetensors, GGUF, TFLite; a sharded
safetensors model by its *.safetensors.index.json or the folder holding it): format, inputs and outputs,
operators or layers, parameters, metadata and the largest weight tensors.

options:
  --json        print the whole summary as JSON (for scripts)
  --tensors N   how many of the largest tensors to list (default 10; 0 for none)`;

export const inspectCommand = {
  summary: 'summarize a model file (inputs, outputs, ops, parameters, metadata)',
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    let parsed;
    try {
      parsed = parseArgs({
        args,
        allowPositionals: true,
        options: { json: { type: 'boolean' }, tensors: { type: 'string' } },
      });
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const { values, positionals } = parsed;
    if (positionals.length !== 1) throw new UsageError(positionals.length ? 'expected one model file' : 'missing the model file');
    const tensors = values.tensors === undefined ? 10 : Number(values.tensors);
    if (!Number.isInteger(tensors) || tensors < 0) throw new UsageError(`--tensors must be a whole number, not '${values.tensors}'`);
    const summary = await readModelSummary(positionals[0]);
    io.out(values.json ? JSON.stringify(summary, null, 2) : describeSummary(summary, { tensors }));
    return 0;
  },
};
