import path from 'node:path';
import { globalSetup } from '../../src/testing';
import { starterRoot } from './project';

/** The template database carries the starter's migrations (the users table tests rely on). */
export default () => globalSetup({ migrationsDir: path.join(starterRoot, 'migrations') });
