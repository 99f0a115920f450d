/** Which files are models: glob patterns over repository-relative paths (forward slashes). */

export const DEFAULT_MODEL_PATTERNS = [
  '**/*.onnx',
  '**/*.h5',
  '**/*.keras',
  '**/*.pt',
  '**/*.pth',
  '**/*.safetensors',
  '**/*.gguf',
  '**/*.tflite',
  '**/*.pb',
];

/** '.onnx' → '**\/*.onnx'; 'model.bin' (no slash) → '**\/model.bin'; others unchanged. */
export function normalizePattern(p: string): string {
  let s = p.trim().replace(/\\/g, '/');
  if (/^\.[^/*?[]+$/.test(s)) s = `**/*${s}`;
  if (s.startsWith('/')) return s.slice(1);
  if (!s.includes('/')) s = `**/${s}`;
  return s;
}

function globToRegExpSource(glob: string): string {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        if (glob[i + 2] === '/') {
          re += '(?:.*/)?';
          i += 2;
        } else {
          re += '.*';
          i += 1;
        }
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '{') {
      const end = glob.indexOf('}', i);
      if (end < 0) re += '\\{';
      else {
        re += '(?:' + glob.slice(i + 1, end).split(',').map(globToRegExpSource).join('|') + ')';
        i = end;
      }
    } else re += c.replace(/[.+^$()|[\]\\]/g, '\\$&');
  }
  return re;
}

export class ModelMatcher {
  readonly patterns: string[];
  private readonly re: RegExp;

  constructor(patterns: string[] = DEFAULT_MODEL_PATTERNS) {
    this.patterns = patterns.map(normalizePattern);
    const src = this.patterns.map(globToRegExpSource).join('|') || '(?!)';
    this.re = new RegExp(`^(?:${src})$`);
  }

  matches(relPath: string): boolean {
    return this.re.test(relPath);
  }

  /** pathspecs for git commands (`:(glob)` magic), expanding `{a,b}` which git globs lack */
  pathspecs(): string[] {
    const out: string[] = [];
    const expand = (p: string): string[] => {
      const m = /\{([^{}]*)\}/.exec(p);
      if (!m) return [p];
      return m[1].split(',').flatMap((alt) => expand(p.slice(0, m.index) + alt + p.slice(m.index + m[0].length)));
    };
    for (const p of this.patterns) for (const e of expand(p)) out.push(`:(glob)${e}`);
    return out;
  }

  /** cache key */
  key(): string {
    return this.patterns.join('\n');
  }
}
