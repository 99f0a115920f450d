import { conflictState, resolveModelConflict, type ResolveChoice } from '../../core/repo';
import { UsageError } from '../errors';
import type { CliIO } from '../main';
import { REPO_OPTIONS, REPO_OPTIONS_HELP, fileArg, needPositionals, openRepo, parse, repoErrors } from './repoCommon';

const usage = `usage: modelver resolve <model-file> (--ours | --theirs | --version SPEC) [--json] [-C DIR]
       modelver resolve --list [--json] [-C DIR]

Resolve a merge, rebase, cherry-pick or revert that stopped on a conflicted model file: the whole
bytes of one side (or of any version) are written to the working tree (LFS content from the local
store), staged (\`git add\`: a valid LFS pointer), and the choice is recorded as a
\`Model-Resolved: <choice> <commit> <path>\` trailer in the message of the commit that finishes the
operation. Pointers are never merged as text. Files that are not models are left to git.

"ours" and "theirs" are git's: in a merge or cherry-pick, ours is HEAD (your branch) and theirs the
commit merged or picked; in a rebase, ours is the branch being rebased onto and theirs the commit
being replayed.

options:
  --ours               take the content of stage 2 (ours)
  --theirs             take the content of stage 3 (theirs)
  --version SPEC       take any version of the model (vN, a tag, an alias, a commit id)
  --list               list the unmerged paths and which are models
  --json               print the result as JSON
${REPO_OPTIONS_HELP}`;

export const resolveCommand = {
  summary: 'resolve a merge conflict on a model file (--ours, --theirs or --version)',
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parse(args, {
      ...REPO_OPTIONS,
      ours: { type: 'boolean' },
      theirs: { type: 'boolean' },
      version: { type: 'string' },
      list: { type: 'boolean' },
    });
    if (values.list) {
      needPositionals(positionals, 0, 0, '');
      return repoErrors(async () => {
        const repo = await openRepo(values);
        const s = await conflictState(repo);
        if (values.json) io.out(JSON.stringify(s, null, 2));
        else if (!s.files.length) io.out(`No unmerged paths${s.operation ? ` (a ${s.operation} is in progress)` : ''}.`);
        else {
          io.out(`${s.operation ? `A ${s.operation} is in progress` : 'Unmerged paths'}: ours = ${s.labels.ours}, theirs = ${s.labels.theirs}`);
          for (const f of s.files) io.out(`  ${f.model ? 'model' : 'other'}  ${f.path}`);
        }
        return 0;
      });
    }
    needPositionals(positionals, 1, 1, 'the model file');
    const picked = [values.ours, values.theirs, values.version !== undefined].filter(Boolean).length;
    if (picked !== 1) throw new UsageError('give exactly one of --ours, --theirs, --version SPEC');
    const choice: ResolveChoice = values.ours ? { side: 'ours' } : values.theirs ? { side: 'theirs' } : { version: values.version! };
    return repoErrors(async () => {
      const repo = await openRepo(values, positionals[0]);
      const r = await resolveModelConflict(repo, fileArg(values, positionals[0]), choice);
      if (values.json) {
        io.out(JSON.stringify(r, null, 2));
        return 0;
      }
      const what = r.choice === 'version' ? `v${r.version}` : `${r.choice}${r.version !== undefined ? ` (v${r.version})` : ''}`;
      if (r.deleted) io.out(`Resolved ${r.path}: took ${what}, which has no such file — removed it (\`git rm\`).`);
      else io.out(`Resolved ${r.path}: took ${what} from ${r.commit.slice(0, 7)}, sha256 ${r.sha256.slice(0, 12)}…, ${r.size} bytes; staged.`);
      if (r.messageFile) io.out(`Recorded \`${r.trailer}\` in the commit message (${r.messageFile}).`);
      else io.err(`warning: no commit message file to record the choice in; add \`${r.trailer}\` to the commit message yourself.`);
      if (r.remaining.length) io.out(`Still unmerged: ${r.remaining.join(', ')}`);
      else {
        const next = { merge: 'git commit', rebase: 'git rebase --continue', 'cherry-pick': 'git cherry-pick --continue', revert: 'git revert --continue' };
        io.out(`No unmerged paths left: finish with \`${r.operation ? next[r.operation] : 'git commit'}\`.`);
      }
      return 0;
    });
  },
};
