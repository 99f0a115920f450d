import * as path from 'path';

/** Repository root (this file compiles to out/test/support/paths.js, or out-<name>/test/support/paths.js). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

/**
 * The test fixtures: real model and data files published by others, copied byte for byte into
 * test/fixtures/ (sources, licences and sha256 in test/fixtures/PROVENANCE.md). Inside the repository,
 * so a fresh clone tests itself; nothing a test reads lives outside it.
 */
export const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures');

/**
 * The path of a fixture under test/fixtures/. Only builds the path (never reads, never throws), so it is
 * safe at module load time; read the file inside a hook or test, where a missing one fails that test alone.
 */
export const fixture = (...parts: string[]): string => path.join(FIXTURES, ...parts);

/** Where tests put artifacts (screenshots, logs, counts). Ignored by git. */
export const ARTIFACTS = path.join(REPO_ROOT, '.test-artifacts');
