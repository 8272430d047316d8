// Both database backends the product supports, for tests that must hold on each: PGlite (in-process)
// and a real PostgreSQL server (TEST_DATABASE_URL, provided by scripts/setup.sh).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openDatabase, type Database } from '../../db/client.js';

export interface TestDatabase {
  database: Database;
  /** The PostgreSQL URL, for tests that start processes of their own against it. */
  url?: string;
  dispose(): Promise<void>;
}

export const BACKENDS = ['pglite', 'postgres'] as const;

export async function openTestDatabase(kind: (typeof BACKENDS)[number]): Promise<TestDatabase> {
  if (kind === 'pglite') {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'spec-automation-pglite-'));
    const database = await openDatabase({ pgliteDir: path.join(dir, 'db') });
    return {
      database,
      dispose: async () => {
        await database.close();
        await fs.rm(dir, { recursive: true, force: true });
      },
    };
  }
  const base = process.env.TEST_DATABASE_URL;
  if (!base) throw new Error('TEST_DATABASE_URL is not set: run the suite with `npm test`, which provides PostgreSQL');
  // A database of its own per test file, so files migrate and write in parallel without racing.
  const name = `spec_automation_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  const database = await openDatabase({ url: url.toString() });
  return {
    database,
    url: url.toString(),
    dispose: async () => {
      await database.close();
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}
