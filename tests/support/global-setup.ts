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
    /** Postgres: the admin URL, the name of a migrated template database, and this run's database-name prefix. */
    postgresTemplate: { url: string; database: string; prefix: string } | null;
  }
}

/** Builds one migrated database that every test file copies: much faster than migrating per file. */
export default async function setup(project: TestProject) {
  const url = process.env.TEST_DATABASE_URL;
  if (url) {
    const admin = postgres(url, { max: 1, onnotice: () => {} });
    // Every database of this run starts with the prefix, so cleanup never touches another run's.
    const prefix = `graphplane_t${process.pid}x${Date.now()}`;
    const template = `${prefix}_template`;
    await admin.unsafe(`create database "${template}"`);
    const templateUrl = withDatabase(url, template);
    const database = await openDatabase({ kind: 'postgres', url: templateUrl, poolMax: 2 });
    await migrateDatabase(database, templateUrl);
    await seedCatalogs(database.db);
    await database.close();
    project.provide('postgresTemplate', { url, database: template, prefix });
    project.provide('pgliteTemplate', '');
    return async () => {
      // Test files drop their own databases; drop the template and whatever a crashed file left.
      const leftovers = await admin<{ datname: string }[]>`select datname from pg_database where starts_with(datname, ${prefix})`;
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
