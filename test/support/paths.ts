import * as path from 'path';

/** Repository root (this file compiles to out/test/support/paths.js). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

/** The team's shared fixtures: ../shared/fixtures beside the checkout, or $MV_FIXTURES. */
export const FIXTURES = process.env.MV_FIXTURES
  ? path.resolve(process.env.MV_FIXTURES)
  : path.resolve(REPO_ROOT, '..', 'shared', 'fixtures');

export const fixture = (...parts: string[]): string => path.join(FIXTURES, ...parts);

/** Where tests put artifacts (screenshots, logs, counts). Ignored by git. */
export const ARTIFACTS = path.join(REPO_ROOT, '.test-artifacts');
