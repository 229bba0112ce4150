import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../src/db/migrate.js';
import { printSchemaFile } from '../src/graphql/print.js';

const file = path.join(projectRoot(), 'schema.graphql');
writeFileSync(file, await printSchemaFile());
console.log(`wrote ${file}`);
