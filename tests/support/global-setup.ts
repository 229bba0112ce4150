import 'reflect-metadata';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../../src/db/client.js';
import { migrateDatabase } from '../../src/db/migrate.js';
import { seedCatalogs } from '../../src/db/seed.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** PGlite: a migrated data folder (tar.gz) each test file loads. */
    pgliteTemplate: string;
    /** Postgres: the admin URL and the name of a migrated template database. */
    postgresTemplate: { url: string; database: string } | null;
  }
}

/** Builds one migrated database that every test file copies: much faster than migrating per file. */
export default async function setup(project: TestProject) {
  const url = process.env.TEST_DATABASE_URL;
  if (url) {
    const admin = postgres(url, { max: 1, onnotice: () => {} });
    const template = `graphplane_tpl_${process.pid}_${Date.now()}`;
    await admin.unsafe(`create database "${template}"`);
    const templateUrl = withDatabase(url, template);
    const database = await openDatabase({ kind: 'postgres', url: templateUrl, poolMax: 2 });
    await migrateDatabase(database, templateUrl);
    await seedCatalogs(database.db);
    await database.close();
    project.provide('postgresTemplate', { url, database: template });
    project.provide('pgliteTemplate', '');
    return async () => {
      // Test files drop their own databases; drop the template and anything a crashed run left.
      const leftovers = await admin<{ datname: string }[]>`select datname from pg_database where datname like 'graphplane\_t%'`;
      for (const { datname } of leftovers) await admin.unsafe(`drop database if exists "${datname}" with (force)`);
      await admin.end();
    };
  }
  const database = await openDatabase({ kind: 'pglite' });
  await migrateDatabase(database);
  await seedCatalogs(database.db);
  const dump = await database.pglite!.dumpDataDir('gzip');
  await database.close();
  const dir = mkdtempSync(path.join(tmpdir(), 'graphplane-test-'));
  const file = path.join(dir, 'template.tar.gz');
  writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
  project.provide('pgliteTemplate', file);
  project.provide('postgresTemplate', null);
  return () => rmSync(dir, { recursive: true, force: true });
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = '/' + database;
  return u.toString();
}
