/** Make a folder a git repository ready for model versions: `git init` and Git LFS hooks. */
import * as fs from 'fs';
import * as path from 'path';
import { RepoError } from './errors';
import { Git } from './git';

export async function initRepository(dir: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (fs.existsSync(path.join(dir, '.git'))) throw new RepoError('GIT_FAILED', `${dir} already has a .git folder.`);
  const git = new Git(dir, env);
  await git.run(['init', '--quiet']);
  const lfs = await git.run(['lfs', 'install', '--local'], { allowFail: true });
  if (lfs.code !== 0) {
    throw new RepoError(
      'LFS_MISSING',
      `Initialized a git repository in ${dir}, but Git LFS is not available: ${lfs.stderr.trim() || 'git lfs failed'}`,
      lfs.stderr,
    );
  }
}
