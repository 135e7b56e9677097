import { globalSetup } from 'zero-downtime-toolkit/testing';

/**
 * One PostgreSQL server for the run (TEST_DATABASE_URL or DATABASE_URL when set, else an
 * embedded one) and a template database with every migration, which each test file clones.
 */
export default () => globalSetup();
