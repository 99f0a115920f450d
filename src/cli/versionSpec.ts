/** The `<model-file>@<version>` argument shared by the commands (no repository code: diff loads none for two files). */
import * as fs from 'fs';
import * as path from 'path';

/**
 * 'models/a.onnx@v3' → ['models/a.onnx', 'v3']; 'a.onnx@origin/main' → ['a.onnx', 'origin/main'].
 * The last '@' splits, unless what follows it holds a '/' and what precedes it looks like a folder
 * (no '.' in its last part, not an existing file or folder): then the '@' is part of a folder name
 * (`runs@2/a.onnx`), and the one before it is tried. `base`: the folder relative paths start from.
 */
export function splitVersionSpec(arg: string, base = '.'): [string, string | undefined] {
  for (let at = arg.lastIndexOf('@'); at > 0; at = arg.lastIndexOf('@', at - 1)) {
    const file = arg.slice(0, at);
    const spec = arg.slice(at + 1);
    if (!spec.includes('/')) return [file, spec];
    const name = file.slice(file.lastIndexOf('/') + 1);
    if (spec.startsWith('refs/') || name.includes('.') || fs.existsSync(path.resolve(base, file))) return [file, spec];
  }
  return [arg, undefined];
}
