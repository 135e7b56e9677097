import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/**
 * Recognisable secrets for the "no secret in any log line" check: a PostgreSQL role whose
 * password sits in the DATABASE_URL every app and CLI of a scenario is given, and a bearer
 * token every request of a scenario carries. The role is a superuser so it can run migrations,
 * backfills and shadow rebuilds; on a trust-auth server any password is accepted, which does
 * not matter: the point is the password string travelling in the URL.
 */
export interface Secrets {
  role: string;
  password: string;
  bearerToken: string;
  /** `url` with this role and its password as the credentials. */
  withCredentials(url: string): string;
  /** The secret strings found in `text` (empty when clean). */
  foundIn(text: string): string[];
  dropRole(adminUrl: string): Promise<void>;
}

export async function createSecrets(adminUrl: string): Promise<Secrets> {
  const suffix = randomBytes(6).toString('hex');
  const role = `zdm_secret_user_${suffix}`;
  const password = `pw-${randomBytes(12).toString('hex')}`;
  const bearerToken = `tok-${randomBytes(16).toString('hex')}`;
  await adminQuery(adminUrl, `CREATE ROLE ${role} LOGIN SUPERUSER PASSWORD '${password}'`);
  return {
    role,
    password,
    bearerToken,
    withCredentials(url) {
      const parsed = new URL(url);
      parsed.username = role;
      parsed.password = password;
      return parsed.toString();
    },
    foundIn: (text) => [password, bearerToken].filter((secret) => text.includes(secret)),
    dropRole: (url) => adminQuery(url, `DROP ROLE IF EXISTS ${role}`),
  };
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
