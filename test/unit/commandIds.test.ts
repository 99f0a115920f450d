/**
 * The commands package.json contributes and the commands the extension registers can never drift
 * apart: both are src/extension/commands/ids.ts. Also: every command a menu, keybinding or welcome
 * view names exists; every command is registered through the one wrapper
 * (src/extension/commands/register.ts), exactly once; and the Explorer menus that open a model
 * offer it for exactly the formats we read (src/core/formats/readable.ts).
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { isReadableModelPath, READABLE_EXTENSIONS, readableDialogExtensions, readableFormatName } from '../../src/core/formats/readable';
import { COMMAND, COMMAND_IDS } from '../../src/extension/commands/ids';
import { REPO_ROOT } from '../support/paths';

interface MenuItem {
  command?: string;
  alt?: string;
  submenu?: string;
  when?: string;
}
interface Manifest {
  contributes: {
    commands?: { command: string }[];
    menus?: Record<string, MenuItem[]>;
    keybindings?: { command: string }[];
    viewsWelcome?: { contents: string }[];
  };
}

const readManifest = (): Manifest => JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as Manifest;

/** Commands that VS Code itself provides, which a welcome view may link to. */
const BUILT_IN = /^workbench\./;

/** Everything wrong between a manifest and the command ids (empty when they agree). */
function commandDrift(pkg: Manifest, ids: readonly string[]): string[] {
  const problems: string[] = [];
  const known = new Set(ids);
  const contributed = (pkg.contributes.commands ?? []).map((c) => c.command);
  const dup = (xs: readonly string[]) => xs.filter((x, i) => xs.indexOf(x) !== i);
  for (const d of dup(contributed)) problems.push(`contributes.commands lists ${d} twice`);
  for (const d of dup(ids)) problems.push(`ids.ts lists ${d} twice`);
  for (const c of contributed) if (!known.has(c)) problems.push(`contributes.commands has ${c}, which the extension does not register (not in ids.ts)`);
  for (const id of ids) if (!contributed.includes(id)) problems.push(`${id} is registered but not in contributes.commands`);
  for (const [menu, items] of Object.entries(pkg.contributes.menus ?? {})) {
    for (const item of items) {
      for (const c of [item.command, item.alt]) {
        if (c !== undefined && !known.has(c)) problems.push(`menus.${menu} names ${c}, which is not registered`);
      }
    }
  }
  for (const k of pkg.contributes.keybindings ?? []) if (!known.has(k.command)) problems.push(`keybindings name ${k.command}, which is not registered`);
  for (const w of pkg.contributes.viewsWelcome ?? []) {
    for (const m of w.contents.matchAll(/\(command:([\w.-]+)/g)) {
      if (!known.has(m[1]) && !BUILT_IN.test(m[1])) problems.push(`a welcome view links to command:${m[1]}, which is not registered`);
    }
  }
  return problems;
}

/** Every .ts file under src/. */
function sources(dir = path.join(REPO_ROOT, 'src')): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

const rel = (p: string) => path.relative(REPO_ROOT, p).split(path.sep).join('/');

/** The extensions a `resourceExtname =~ /^\.(a|b)$/` clause accepts, with their dots. */
function extnameClause(when: string | undefined): string[] | undefined {
  const m = /resourceExtname =~ \/\^\\\.\(([\w|]+)\)\$\//.exec(when ?? '');
  return m?.[1].split('|').map((e) => `.${e}`);
}

describe('commands: package.json and the extension agree', () => {
  it('contributes exactly the registered commands, and names no other in menus, keybindings or welcome views', () => {
    assert.deepStrictEqual(commandDrift(readManifest(), COMMAND_IDS), []);
  });

  it('the check catches each kind of drift (a manifest doctored four ways)', () => {
    const pkg = readManifest();
    const doctored: Manifest = JSON.parse(JSON.stringify(pkg)) as Manifest;
    doctored.contributes.commands = (doctored.contributes.commands ?? []).filter((c) => c.command !== COMMAND.showLfsHelp);
    doctored.contributes.commands.push({ command: 'modelVersions.notRegistered' });
    doctored.contributes.menus = { ...doctored.contributes.menus, 'view/title': [...(doctored.contributes.menus?.['view/title'] ?? []), { command: 'modelVersions.gone' }] };
    doctored.contributes.viewsWelcome = [{ contents: '[Do it](command:modelVersions.missing)' }];
    assert.deepStrictEqual(commandDrift(doctored, COMMAND_IDS), [
      'contributes.commands has modelVersions.notRegistered, which the extension does not register (not in ids.ts)',
      `${COMMAND.showLfsHelp} is registered but not in contributes.commands`,
      'menus.view/title names modelVersions.gone, which is not registered',
      'a welcome view links to command:modelVersions.missing, which is not registered',
    ]);
  });

  it('registers every command through registerCommand (register.ts), each exactly once', () => {
    const files = sources();
    const direct = files.filter((f) => /\bcommands\.registerCommand\(/.test(fs.readFileSync(f, 'utf8'))).map(rel);
    assert.deepStrictEqual(direct, ['src/extension/commands/register.ts'], 'vscode.commands.registerCommand outside the wrapper: its errors would escape the one policy');
    // at activation (registerCommand), or by a feature module loaded on first use through the CommandRegistrar it is given (features.ts)
    const atActivation = files.flatMap((f) => [...fs.readFileSync(f, 'utf8').matchAll(/\bregisterCommand\(\s*context,\s*COMMAND\.(\w+)\s*,/g)].map((m) => m[1]));
    const lazy = files.flatMap((f) => [...fs.readFileSync(f, 'utf8').matchAll(/\bcommand\(\s*COMMAND\.(\w+)\s*,/g)].map((m) => m[1]));
    assert.deepStrictEqual([...atActivation, ...lazy].sort(), Object.keys(COMMAND).sort(), 'each id of ids.ts registered once (a missing one is contributed but does nothing)');
    // features.ts registers the feature modules' ids before their modules load: it must list exactly those
    const features = fs.readFileSync(path.join(REPO_ROOT, 'src', 'extension', 'features.ts'), 'utf8');
    const table = /export const FEATURE_COMMANDS = \{([\s\S]*?)\} as const;/.exec(features);
    assert.ok(table, 'features.ts has its FEATURE_COMMANDS table');
    const listed = [...table[1].matchAll(/COMMAND\.(\w+)/g)].map((m) => m[1]);
    assert.deepStrictEqual([...listed].sort(), [...lazy].sort(), 'FEATURE_COMMANDS (features.ts) lists the ids the feature modules register, each once');
  });

  it('names commands only through ids.ts (no command id written out where a command is run or given)', () => {
    const literal = /(?:executeCommand|registerCommand)\(\s*['"`]modelVersions\.|\bcommand:\s*['"`]modelVersions\./;
    const offenders = sources()
      .filter((f) => !f.endsWith(path.join('commands', 'ids.ts')))
      .flatMap((f) => fs.readFileSync(f, 'utf8').split('\n').map((line, i) => ({ at: `${rel(f)}:${i + 1}`, line })))
      .filter(({ line }) => literal.test(line) && !/^\s*(\*|\/\/)/.test(line)) // doc comments may show an id
      .map(({ at, line }) => `${at}: ${line.trim()}`);
    assert.deepStrictEqual(offenders, []);
  });
});

describe('readable model formats: one list', () => {
  it('the Explorer menus that open a model (Inspect, Compare Two Model Files) offer it for exactly the readable extensions', () => {
    const items = readManifest().contributes.menus?.['explorer/context'] ?? [];
    for (const id of [COMMAND.inspectModel, COMMAND.compareFiles]) {
      const item = items.find((i) => i.command === id);
      assert.ok(item, `explorer/context has no ${id}`);
      const exts = extnameClause(item.when);
      assert.ok(exts, `${id}: its when clause has no resourceExtname =~ /^\\.(…)$/: ${item.when}`);
      assert.deepStrictEqual([...exts].sort(), [...READABLE_EXTENSIONS].sort(), `${id}: when ${item.when}`);
    }
  });

  it('the Explorer menus that commit or tag a model offer it for every readable extension too', () => {
    const items = readManifest().contributes.menus?.['explorer/context'] ?? [];
    for (const id of [COMMAND.commitModel, COMMAND.tagModel]) {
      const exts = extnameClause(items.find((i) => i.command === id)?.when);
      assert.ok(exts, `explorer/context: ${id} has no resourceExtname clause`);
      assert.deepStrictEqual(READABLE_EXTENSIONS.filter((e) => !exts.includes(e)), [], `${id}`);
    }
  });

  it('isReadableModelPath / readableFormatName go by the extension, in any case', () => {
    for (const p of ['a.onnx', 'models/A.ONNX', 'C:\\m\\net.h5', 'x.hdf5', 'dir.v2/m.keras', 'a..onnx', 'model.pt', 'ckpt/Best.PTH']) assert.ok(isReadableModelPath(p), p);
    for (const p of ['a.onnx.bak', 'model.pt.bak', '.onnx', 'dir/.h5', 'm.onnx/weights', 'onnx', 'a.', '']) assert.ok(!isReadableModelPath(p), p);
    assert.strictEqual(readableFormatName('m.ONNX'), 'an ONNX model');
    assert.strictEqual(readableFormatName('m.hdf5'), 'a Keras HDF5 file');
    assert.strictEqual(readableFormatName('m.keras'), 'a Keras model');
    assert.strictEqual(readableFormatName('m.pt'), 'a PyTorch file');
    assert.strictEqual(readableFormatName('m.TFLite'), 'a TFLite model');
    assert.strictEqual(readableFormatName('m.pb'), undefined);
    assert.deepStrictEqual(readableDialogExtensions(), READABLE_EXTENSIONS.map((e) => e.slice(1)));
  });
});
