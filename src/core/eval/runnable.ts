/**
 * Which models the evaluation host can run (issue #15, point 8). It runs ONNX models (onnxruntime) and
 * full Keras models (TensorFlow.js). Other formats are read by inspect and diff, but cannot be evaluated:
 * safetensors files, PyTorch checkpoints and GGUF files hold weights without the code that runs them;
 * TorchScript and TFLite files hold a program for a runtime the host does not include. Evaluation refuses
 * them up front — before a host starts or a byte is uploaded — with one message that says what works
 * instead (inspect, diff) and how to get a model that can be evaluated (ONNX export).
 *
 * Refusals are keyed by ModelFormat name ('safetensors', 'pytorch', 'torchscript', 'gguf', 'tflite'), so a
 * reader that reports one of these formats is refused without a change here. `notRunnableFormat` tells
 * the format from the file's first bytes (and a zip's directory), without reading the model.
 */
import * as fs from 'fs';
import * as path from 'path';
import { isGguf, isLegacyTorch, isSafetensors, isTflite, isZip } from '../formats/sniff';
import { readRange, readZipDirectory } from '../formats/zip';
import { NotRunnableError } from './errors';

interface Refusal {
  /** what the file is, as a sentence says it */
  what: string;
  why: string;
  /** how to get a model that can be evaluated */
  howTo: string;
}

const TORCH_EXPORT = 'torch.onnx.export(model, example_input, "model.onnx")';

const REFUSALS: Record<string, Refusal> = {
  safetensors: {
    what: 'a safetensors file',
    why: 'it holds weights without the code that runs them',
    howTo: `load the weights into the model's code and export it to ONNX (e.g. ${TORCH_EXPORT}, or \`optimum-cli export onnx\` for a Hugging Face model)`,
  },
  pytorch: {
    what: 'a PyTorch checkpoint',
    why: 'it holds weights without the code that runs them',
    howTo: `load it into the model's code and export it to ONNX (e.g. model.load_state_dict(torch.load(path)); ${TORCH_EXPORT})`,
  },
  torchscript: {
    what: 'a TorchScript file',
    why: 'its program runs only in PyTorch (libtorch), which the evaluation host does not include',
    howTo: 'export it to ONNX (e.g. torch.onnx.export(torch.jit.load(path), example_input, "model.onnx"))',
  },
  gguf: {
    what: 'a GGUF file',
    why: 'it holds weights without the code that runs them (llama.cpp)',
    howTo: 'export the original model to ONNX (e.g. `optimum-cli export onnx --model <model> out/`), or evaluate it with llama.cpp',
  },
  tflite: {
    what: 'a TensorFlow Lite file',
    why: 'it runs only in the TensorFlow Lite interpreter, which the evaluation host does not include',
    howTo: 'convert it to ONNX with tf2onnx (python -m tf2onnx.convert --tflite model.tflite --output model.onnx)',
  },
};

/** The ModelFormat names evaluation refuses. */
export const NOT_RUNNABLE_FORMATS: readonly string[] = Object.freeze(Object.keys(REFUSALS));

/** The refusal of a model of `format` named `label` (a file name, or file@version); undefined when the host runs it. */
export function notRunnableMessage(format: string, label: string): string | undefined {
  const r = Object.prototype.hasOwnProperty.call(REFUSALS, format) ? REFUSALS[format] : undefined;
  if (!r) return undefined;
  return `${label} is ${r.what}: ${r.why}, so it cannot be evaluated here. Inspect and diff work; to evaluate, ${r.howTo}.`;
}

/** Throws NotRunnableError for a model of `format` that the host cannot run. */
export function assertRunnableFormat(format: string, label: string): void {
  const message = notRunnableMessage(format, label);
  if (message) throw new NotRunnableError(message, format);
}

/** By the file name alone (for versions whose bytes are not read yet): '.safetensors' → 'safetensors', '.pt' → 'pytorch', … */
export function notRunnableFormatByName(file: string): string | undefined {
  const name = path.basename(file).toLowerCase();
  if (name.endsWith('.safetensors') || name.endsWith('.safetensors.index.json')) return 'safetensors';
  if (name.endsWith('.pt') || name.endsWith('.pth')) return 'pytorch';
  if (name.endsWith('.gguf')) return 'gguf';
  if (name.endsWith('.tflite')) return 'tflite';
  return undefined;
}

/**
 * The format of `file` when evaluation refuses it, from its content: a safetensors file (or a Hugging
 * Face folder or index of them), a PyTorch zip (state dict or TorchScript) or legacy pickle, GGUF, TFLite.
 * undefined for anything else (ONNX, Keras, or files the readers will explain). Never throws.
 */
export async function notRunnableFormat(file: string): Promise<string | undefined> {
  try {
    const st = await fs.promises.stat(file);
    if (st.isDirectory()) {
      const names = await fs.promises.readdir(file);
      return names.some((n) => /\.safetensors(\.index\.json)?$/i.test(n)) ? 'safetensors' : undefined;
    }
    if (st.size === 0) return undefined;
    const head = await readRange(file, 0, Math.min(512, st.size));
    if (isGguf(head)) return 'gguf';
    if (isTflite(head)) return 'tflite';
    if (isSafetensors(head) || /\.safetensors(\.index\.json)?$/i.test(file)) return 'safetensors';
    if (isLegacyTorch(head)) return 'pytorch';
    if (isZip(head)) {
      const entries = await readZipDirectory({ abs: file, name: path.basename(file), size: st.size });
      const names = [...entries.keys()];
      const pkl = names.find((n) => n === 'data.pkl' || /^[^/]+\/data\.pkl$/.test(n));
      if (pkl === undefined) return undefined; // a Keras 3 .keras archive, or another zip
      const prefix = pkl.slice(0, pkl.length - 'data.pkl'.length);
      return entries.has(`${prefix}constants.pkl`) || names.some((n) => n.startsWith(`${prefix}code/`)) ? 'torchscript' : 'pytorch';
    }
    return undefined;
  } catch {
    return undefined;
  }
}

/** Throws NotRunnableError when the evaluation host cannot run `file` (by its content); `label` names it in the message. */
export async function assertRunnable(file: string, label: string = path.basename(file)): Promise<void> {
  const format = await notRunnableFormat(file);
  if (format) assertRunnableFormat(format, label);
}
