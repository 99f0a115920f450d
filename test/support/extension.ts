/** The extension folder the integration and UI tests load. */
import * as fs from 'fs';
import * as path from 'path';
import { REPO_ROOT } from './paths';

/** $MV_EXTENSION_DEV_PATH (to test another build of the extension), else the repository. */
export function extensionDevelopmentPath(): string {
  return path.resolve(process.env.MV_EXTENSION_DEV_PATH || REPO_ROOT);
}

/** Why the extension at `devPath` cannot be loaded (its `main` is not built), or undefined. */
export function missingBuild(devPath = extensionDevelopmentPath()): string | undefined {
  const manifest = JSON.parse(fs.readFileSync(path.join(devPath, 'package.json'), 'utf8')) as { main?: string };
  if (!manifest.main) return `${devPath}/package.json has no "main"`;
  const main = path.join(devPath, manifest.main);
  if (fs.existsSync(main) || fs.existsSync(`${main}.js`)) return undefined;
  return `${main} does not exist; run \`npm run build\` first.`;
}
