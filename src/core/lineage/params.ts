/** Training parameters from a file the user points to: JSON, or YAML (.yaml / .yml). */
import * as fs from 'fs';
import * as path from 'path';
import { RepoError } from '../repo/errors';
import { checkParams, MAX_PARAMS_BYTES } from './record';

/** Refuse files far larger than anything the commit can hold. */
const MAX_FILE_BYTES = 256 * 1024;

export function readParamsFile(file: string): Record<string, unknown> {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    throw new RepoError('NOT_FOUND', `Parameters file ${file} does not exist.`);
  }
  if (!st.isFile()) throw new RepoError('NOT_FOUND', `Parameters file ${file} is not a regular file.`);
  if (st.size > MAX_FILE_BYTES) {
    throw new RepoError('INVALID_NAME', `Parameters file ${file} is ${st.size} bytes; the commit records at most ${MAX_PARAMS_BYTES} bytes of parameters. Point to a file with the hyper-parameters only.`);
  }
  const text = fs.readFileSync(file, 'utf8');
  const ext = path.extname(file).toLowerCase();
  let value: unknown;
  try {
    // YAML 1.2 core schema: no dates or other types JSON cannot hold
    value = ext === '.yaml' || ext === '.yml' ? loadYaml(text, file) : JSON.parse(text);
  } catch (e) {
    const kind = ext === '.yaml' || ext === '.yml' ? 'YAML' : 'JSON';
    throw new RepoError('INVALID_NAME', `Parameters file ${file} is not valid ${kind}: ${(e as Error).message.split('\n')[0]}`);
  }
  try {
    return checkParams(value);
  } catch (e) {
    throw new RepoError('INVALID_NAME', `Parameters file ${file}: ${(e as Error).message}`);
  }
}

/** js-yaml, loaded when a YAML file is first read (not when the extension activates: issue #12). */
function loadYaml(text: string, file: string): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const yaml = require('js-yaml') as typeof import('js-yaml');
  return yaml.load(text, { schema: yaml.CORE_SCHEMA, filename: file });
}
