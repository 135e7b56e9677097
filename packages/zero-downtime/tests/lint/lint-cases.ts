/**
 * For every rule: SQL it must flag and SQL it must pass, in the phase where it matters.
 * Shared by rules.test.ts (SQL files) and statements.test.ts (SQL captured from .ts migrations).
 */
import type { Phase } from '../../src/core/phase';
import type { Severity } from '../../src/lint';

export interface Sample {
  sql: string;
  phase: Phase;
}

export interface RuleCase {
  rule: string;
  unsafe: (Sample & { severity: Severity; mentions: string[] })[];
  safe: Sample[];
}

const pre = (sql: string): Sample => ({ sql, phase: 'pre' });
const post = (sql: string): Sample => ({ sql, phase: 'post' });
const error = (sample: Sample, ...mentions: string[]) => ({
  ...sample,
  severity: 'error' as const,
  mentions,
});
const warning = (sample: Sample, ...mentions: string[]) => ({
  ...sample,
  severity: 'warning' as const,
  mentions,
});

export const ruleCases: RuleCase[] = [
  {
    rule: 'create-index-non-concurrent',
    unsafe: [
      error(
        pre('CREATE INDEX ON users (name);'),
        'SHARE lock on users',
        'CREATE INDEX CONCURRENTLY IF NOT EXISTS users_name_idx ON users (name)',
      ),
      error(
        post('CREATE UNIQUE INDEX orders_ref_idx ON orders (ref) WHERE ref IS NOT NULL;'),
        'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS orders_ref_idx ON orders (ref) WHERE ref IS NOT NULL',
      ),
    ],
    safe: [
      pre('CREATE INDEX CONCURRENTLY IF NOT EXISTS users_name_idx ON users (name);'),
      pre(
        'CREATE TABLE posts (id bigint PRIMARY KEY, title text);\nCREATE INDEX ON posts (title);',
      ),
    ],
  },
  {
    rule: 'drop-index-non-concurrent',
    unsafe: [
      error(
        pre('DROP INDEX users_name_idx;'),
        'ACCESS EXCLUSIVE',
        'DROP INDEX CONCURRENTLY IF EXISTS users_name_idx',
      ),
    ],
    safe: [
      post('DROP INDEX CONCURRENTLY IF EXISTS users_name_idx;'),
      pre(
        'CREATE TABLE drafts (body text);\nCREATE INDEX drafts_body_idx ON drafts (body);\nDROP INDEX drafts_body_idx;',
      ),
    ],
  },
  {
    rule: 'concurrent-index-without-if-exists',
    unsafe: [
      warning(
        pre('CREATE INDEX CONCURRENTLY users_email_idx ON users (email);'),
        'CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email)',
      ),
      warning(
        post('DROP INDEX CONCURRENTLY users_email_idx;'),
        'DROP INDEX CONCURRENTLY IF EXISTS users_email_idx',
      ),
    ],
    safe: [
      pre('CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email);'),
      post('DROP INDEX CONCURRENTLY IF EXISTS users_email_idx;'),
    ],
  },
  {
    rule: 'concurrently-in-transaction',
    unsafe: [
      error(
        pre(
          'BEGIN;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email);\nCOMMIT;',
        ),
        'cannot run inside a transaction block',
        'users_email_idx',
      ),
    ],
    safe: [pre('CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email);')],
  },
  {
    rule: 'add-column-not-null-without-default',
    unsafe: [
      error(
        pre('ALTER TABLE users ADD COLUMN nickname text NOT NULL;'),
        'nickname',
        'users',
        'ALTER TABLE users ADD COLUMN nickname text;',
        'CHECK (nickname IS NOT NULL) NOT VALID',
      ),
      error(post('ALTER TABLE users ADD COLUMN nickname text NOT NULL;'), 'nickname'),
    ],
    safe: [
      pre("ALTER TABLE users ADD COLUMN nickname text NOT NULL DEFAULT '';"),
      pre('ALTER TABLE users ADD COLUMN nickname text;'),
      pre('CREATE TABLE pets (id bigint);\nALTER TABLE pets ADD COLUMN name text NOT NULL;'),
    ],
  },
  {
    rule: 'add-column-volatile-default',
    unsafe: [
      error(
        pre('ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();'),
        'rewrites the whole of users',
        'gen_random_uuid() gives each row its own value',
        'ALTER TABLE users ALTER COLUMN token SET DEFAULT gen_random_uuid()',
        '--set "token = gen_random_uuid()"',
      ),
      error(post('ALTER TABLE users ADD COLUMN luck float8 DEFAULT random();'), 'random()'),
      error(
        pre('ALTER TABLE users ADD COLUMN code text DEFAULT make_code();'),
        'cannot prove make_code() is not volatile',
      ),
      error(
        pre('ALTER TABLE users ADD COLUMN seen_at timestamptz DEFAULT clock_timestamp();'),
        'clock_timestamp()',
      ),
      error(
        pre("ALTER TABLE users ADD COLUMN n bigint DEFAULT nextval('users_n_seq');"),
        'nextval()',
      ),
      warning(
        pre('ALTER TABLE users ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();'),
        'same value',
        'created_at',
      ),
    ],
    safe: [
      pre('ALTER TABLE users ADD COLUMN score integer NOT NULL DEFAULT 0;'),
      pre("ALTER TABLE users ADD COLUMN tags text[] DEFAULT '{}'::text[];"),
      pre('ALTER TABLE users ADD COLUMN balance numeric DEFAULT -1.5;'),
      pre(
        'CREATE TABLE pets (id bigint);\nALTER TABLE pets ADD COLUMN token uuid DEFAULT gen_random_uuid();',
      ),
    ],
  },
  {
    rule: 'add-column-serial-or-identity',
    unsafe: [
      error(
        pre('ALTER TABLE users ADD COLUMN ticket_no bigserial;'),
        'rewrites',
        'CREATE SEQUENCE IF NOT EXISTS users_ticket_no_seq',
        'ALTER TABLE users ADD COLUMN ticket_no bigint;',
      ),
      error(
        post('ALTER TABLE users ADD COLUMN number bigint GENERATED ALWAYS AS IDENTITY;'),
        'number',
      ),
    ],
    safe: [pre('ALTER TABLE users ADD COLUMN ticket_no bigint;')],
  },
  {
    rule: 'add-column-stored-generated',
    unsafe: [
      error(
        pre(
          "ALTER TABLE users ADD COLUMN full_name text GENERATED ALWAYS AS (first_name || ' ' || last_name) STORED;",
        ),
        'rewrites the whole of users',
        'new.first_name',
        'CREATE TRIGGER users_full_name_compute',
      ),
    ],
    safe: [pre('ALTER TABLE users ADD COLUMN full_name text;')],
  },
  {
    rule: 'alter-column-type',
    unsafe: [
      error(
        pre('ALTER TABLE users ALTER COLUMN age TYPE bigint;'),
        'users.age to bigint',
        'ALTER TABLE users ADD COLUMN age_new bigint',
        'CREATE TRIGGER users_age_age_new_sync',
      ),
      error(
        post('ALTER TABLE users ALTER COLUMN bio TYPE varchar(50) USING left(bio, 50);'),
        'users.bio',
      ),
      warning(pre('ALTER TABLE users ALTER COLUMN bio TYPE text;'), 'varchar (any length) or text'),
      warning(
        pre('ALTER TABLE users ALTER COLUMN code TYPE varchar(64);'),
        'varchar(n) with n <= 64',
      ),
    ],
    safe: [pre('CREATE TABLE pets (age int);\nALTER TABLE pets ALTER COLUMN age TYPE bigint;')],
  },
  {
    rule: 'set-not-null',
    unsafe: [
      error(
        pre('ALTER TABLE users ALTER COLUMN email SET NOT NULL;'),
        'version N',
        'ADD CONSTRAINT users_email_not_null CHECK (email IS NOT NULL) NOT VALID',
      ),
      error(
        post(
          'ALTER TABLE users VALIDATE CONSTRAINT orders_fk;\nALTER TABLE users ALTER COLUMN email SET NOT NULL;',
        ),
        'users.email',
      ),
      error(
        post('ALTER TABLE users ALTER COLUMN email SET NOT NULL;'),
        'ACCESS EXCLUSIVE',
        'ALTER TABLE users VALIDATE CONSTRAINT users_email_not_null;',
      ),
    ],
    safe: [
      post(
        'ALTER TABLE users VALIDATE CONSTRAINT users_email_not_null;\nALTER TABLE users ALTER COLUMN email SET NOT NULL;\nALTER TABLE users DROP CONSTRAINT users_email_not_null;',
      ),
      post(
        'CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email);\nALTER TABLE users ADD CONSTRAINT users_email_nn CHECK (email IS NOT NULL) NOT VALID;\nALTER TABLE users VALIDATE CONSTRAINT users_email_nn;\nALTER TABLE users ALTER COLUMN email SET NOT NULL;',
      ),
    ],
  },
  {
    rule: 'drop-not-null',
    unsafe: [
      error(
        pre('ALTER TABLE users ALTER COLUMN email DROP NOT NULL;'),
        'users.email',
        'post-deploy',
      ),
    ],
    safe: [
      post('ALTER TABLE users ALTER COLUMN email DROP NOT NULL;'),
      pre(
        "ALTER TABLE users ADD COLUMN nickname text NOT NULL DEFAULT '';\nALTER TABLE users ALTER COLUMN nickname DROP NOT NULL;",
      ),
    ],
  },
  {
    rule: 'change-default',
    unsafe: [
      error(
        pre('ALTER TABLE users ALTER COLUMN status DROP DEFAULT;'),
        'users.status',
        'DROP DEFAULT',
      ),
      warning(
        pre("ALTER TABLE users ALTER COLUMN status SET DEFAULT 'active';"),
        "SET DEFAULT 'active'",
      ),
    ],
    safe: [
      post("ALTER TABLE users ALTER COLUMN status SET DEFAULT 'active';"),
      pre(
        "ALTER TABLE users ADD COLUMN plan text;\nALTER TABLE users ALTER COLUMN plan SET DEFAULT 'free';",
      ),
    ],
  },
  {
    rule: 'add-foreign-key-validated',
    unsafe: [
      error(
        pre(
          'ALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id);',
        ),
        'orders and users',
        'FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID',
        'ALTER TABLE orders VALIDATE CONSTRAINT orders_user_id_fkey;',
      ),
      error(
        pre('ALTER TABLE orders ADD COLUMN coupon_id bigint REFERENCES coupons;'),
        'orders_coupon_id_fkey',
        'ALTER TABLE orders ADD COLUMN coupon_id bigint;',
      ),
    ],
    safe: [
      pre(
        'ALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;',
      ),
      pre(
        'CREATE TABLE invoices (id bigint PRIMARY KEY, order_id bigint);\nALTER TABLE invoices ADD FOREIGN KEY (order_id) REFERENCES orders (id);',
      ),
    ],
  },
  {
    rule: 'add-check-validated',
    unsafe: [
      error(
        post('ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0);'),
        'CHECK (total >= 0)',
        'orders_total_positive CHECK (total >= 0) NOT VALID',
        'VALIDATE CONSTRAINT orders_total_positive',
      ),
    ],
    safe: [
      pre('ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0) NOT VALID;'),
    ],
  },
  {
    rule: 'validate-in-same-transaction',
    unsafe: [
      error(
        post(
          'ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT orders_total_positive;',
        ),
        'same transaction',
        'ALTER TABLE orders VALIDATE CONSTRAINT orders_total_positive;',
      ),
    ],
    safe: [post('ALTER TABLE orders VALIDATE CONSTRAINT orders_total_positive;')],
  },
  {
    rule: 'add-unique-constraint',
    unsafe: [
      error(
        pre('ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);'),
        'UNIQUE (email) to users',
        'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_email_key ON users (email);',
        'ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;',
      ),
    ],
    safe: [
      pre('ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;'),
    ],
  },
  {
    rule: 'add-primary-key',
    unsafe: [
      error(
        pre('ALTER TABLE events ADD PRIMARY KEY (id);'),
        'PRIMARY KEY (id) to events',
        'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS events_pkey ON events (id);',
        'PRIMARY KEY USING INDEX events_pkey',
      ),
    ],
    safe: [
      pre('ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY USING INDEX events_pkey;'),
    ],
  },
  {
    rule: 'rename-column',
    unsafe: [
      error(
        pre('ALTER TABLE users RENAME COLUMN name TO full_name;'),
        'users.name to full_name',
        'npm run generate -- rename-column',
        'ALTER TABLE users ADD COLUMN full_name',
      ),
      error(post('ALTER TABLE users RENAME COLUMN name TO full_name;'), 'full_name'),
    ],
    safe: [pre('CREATE TABLE pets (nme text);\nALTER TABLE pets RENAME COLUMN nme TO name;')],
  },
  {
    rule: 'rename-table',
    unsafe: [
      error(
        pre('ALTER TABLE users RENAME TO accounts;'),
        'users to accounts',
        'CREATE VIEW users AS SELECT * FROM accounts;',
      ),
      error(post('ALTER TABLE users RENAME TO accounts;'), 'accounts'),
    ],
    safe: [
      pre('ALTER TABLE users RENAME TO accounts;\nCREATE VIEW users AS SELECT * FROM accounts;'),
    ],
  },
  {
    rule: 'drop-column',
    unsafe: [
      error(
        pre('ALTER TABLE users DROP COLUMN nickname;'),
        'still serving',
        'ALTER TABLE users DROP COLUMN IF EXISTS nickname;',
      ),
    ],
    safe: [post('ALTER TABLE users DROP COLUMN nickname;')],
  },
  {
    rule: 'drop-table',
    unsafe: [
      error(
        pre('DROP TABLE legacy_sessions;'),
        'legacy_sessions',
        'DROP TABLE IF EXISTS legacy_sessions;',
      ),
    ],
    safe: [
      post('DROP TABLE legacy_sessions;'),
      pre('CREATE TABLE scratch (id bigint);\nDROP TABLE scratch;'),
    ],
  },
  {
    rule: 'unbatched-data-change',
    unsafe: [
      error(
        pre("UPDATE users SET status = 'active' WHERE status IS NULL;"),
        'UPDATE on users',
        `npm run db:backfill -- --name update-users-status --table users --set "status = 'active'" --where "status IS NULL"`,
      ),
      error(
        post('DELETE FROM sessions WHERE expires_at < now();'),
        'DELETE FROM sessions WHERE ctid IN (SELECT ctid FROM sessions WHERE expires_at < now() LIMIT 1000)',
      ),
      error(
        pre('INSERT INTO archived_orders SELECT * FROM orders;'),
        'INSERT ... SELECT on archived_orders',
      ),
      error(
        pre('WITH gone AS (DELETE FROM carts RETURNING id) SELECT count(*) FROM gone;'),
        'DELETE on carts',
      ),
      error(
        pre(
          'MERGE INTO stock s USING deliveries d ON s.sku = d.sku WHEN MATCHED THEN UPDATE SET qty = s.qty + d.qty;',
        ),
        'MERGE on stock',
      ),
    ],
    safe: [
      pre("INSERT INTO plans (name) VALUES ('free'), ('pro');"),
      pre(
        "CREATE TABLE plans (name text);\nINSERT INTO plans SELECT 'free';\nUPDATE plans SET name = lower(name);",
      ),
    ],
  },
  {
    rule: 'exclusive-table-operation',
    unsafe: [
      error(pre('VACUUM FULL users;'), 'VACUUM FULL on users', 'VACUUM (ANALYZE) users;'),
      error(pre('CLUSTER users USING users_pkey;'), 'CLUSTER on users', 'shadow table'),
      error(pre('LOCK TABLE users IN ACCESS EXCLUSIVE MODE;'), 'LOCK TABLE on users'),
      error(
        post('TRUNCATE audit_log;'),
        'TRUNCATE on audit_log',
        'DELETE FROM audit_log WHERE ctid IN',
      ),
      error(pre('REINDEX TABLE users;'), 'REINDEX on users', 'REINDEX TABLE CONCURRENTLY users;'),
      error(pre('REINDEX INDEX users_name_idx;'), 'REINDEX INDEX CONCURRENTLY users_name_idx;'),
      error(pre('REINDEX (CONCURRENTLY false) TABLE users;'), 'REINDEX on users'),
    ],
    safe: [
      pre('REINDEX TABLE CONCURRENTLY users;'),
      pre('VACUUM (ANALYZE) users;'),
      pre('VACUUM (FULL false, ANALYZE) users;'),
      pre('CREATE TABLE imports (line text);\nTRUNCATE imports;'),
    ],
  },
  {
    rule: 'multiple-locks-in-transaction',
    unsafe: [
      error(
        pre('ALTER TABLE orders ADD COLUMN note text;\nALTER TABLE users ADD COLUMN note text;'),
        'orders and users',
        'part-1.sql\nALTER TABLE orders ADD COLUMN note text;',
        'part-2.sql\nALTER TABLE users ADD COLUMN note text;',
      ),
    ],
    safe: [
      pre('ALTER TABLE users ADD COLUMN a text;\nALTER TABLE users ADD COLUMN b text;'),
      pre(
        'ALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;',
      ),
      pre(
        'CREATE INDEX CONCURRENTLY IF NOT EXISTS users_a_idx ON users (a);\nALTER TABLE orders ADD COLUMN note text;\nALTER TABLE users ADD COLUMN note text;',
      ),
    ],
  },
  {
    rule: 'prefer-jsonb',
    unsafe: [
      warning(
        pre('CREATE TABLE events (id bigint PRIMARY KEY, payload json);'),
        'events.payload is declared json',
        'payload jsonb',
      ),
    ],
    safe: [pre('CREATE TABLE events (id bigint PRIMARY KEY, payload jsonb);')],
  },
  {
    rule: 'prefer-text',
    unsafe: [
      warning(
        pre('ALTER TABLE users ADD COLUMN country char(2);'),
        'users.country',
        'ALTER TABLE users ADD COLUMN country text;',
      ),
      warning(pre('CREATE TABLE notes (body varchar(255));'), 'notes.body', 'body text'),
    ],
    safe: [pre('CREATE TABLE notes (body text, title varchar);')],
  },
  {
    rule: 'prefer-bigint-key',
    unsafe: [
      warning(
        pre('CREATE TABLE tags (id serial PRIMARY KEY, name text);'),
        'tags.id',
        'id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY',
      ),
      warning(
        pre('CREATE TABLE labels (id integer, name text, PRIMARY KEY (id));'),
        'labels.id',
        'id bigint,',
      ),
    ],
    safe: [
      pre(
        'CREATE TABLE tags (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, uses integer);',
      ),
    ],
  },
  {
    rule: 'prefer-timestamptz',
    unsafe: [
      warning(pre('CREATE TABLE visits (at timestamp NOT NULL);'), 'visits.at', 'at timestamptz'),
    ],
    safe: [pre('CREATE TABLE visits (at timestamptz NOT NULL, day date);')],
  },
  {
    rule: 'drop-object',
    unsafe: [
      error(pre('DROP VIEW active_users;'), 'version N', 'DROP VIEW IF EXISTS active_users'),
      error(pre('DROP FUNCTION make_code();'), 'DROP FUNCTION IF EXISTS make_code()'),
      error(pre('DROP SEQUENCE users_n_seq;'), 'SEQUENCE'),
      error(pre('DROP TRIGGER users_touch ON users;'), 'TRIGGER'),
      error(pre('DROP EXTENSION IF EXISTS pg_trgm;'), 'EXTENSION'),
      warning(post('DROP SCHEMA archive CASCADE;'), 'CASCADE also drops'),
    ],
    safe: [
      post('DROP VIEW IF EXISTS active_users;'),
      post('DROP TYPE IF EXISTS unused_kind;'),
      pre('CREATE SCHEMA reports;'),
      pre("CREATE TYPE plan_kind AS ENUM ('free', 'pro');"),
      pre('CREATE DOMAIN email_address AS text;'),
      pre('CREATE SEQUENCE invoice_numbers;'),
      pre('ALTER SEQUENCE users_n_seq INCREMENT BY 10;'),
      pre('CREATE VIEW order_refs AS SELECT id, ref FROM orders;'),
      pre('CREATE OR REPLACE VIEW active_users AS SELECT id, email FROM users;'),
      pre(
        'CREATE TRIGGER orders_touch BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION touch();',
      ),
      pre('CREATE EXTENSION IF NOT EXISTS pg_trgm;'),
      pre('GRANT SELECT ON users TO PUBLIC;'),
    ],
  },
  {
    rule: 'rename-object',
    unsafe: [
      error(pre('ALTER VIEW active_users RENAME TO live_users;'), 'VIEW', 'live_users'),
      error(
        post("ALTER TYPE mood RENAME VALUE 'sad' TO 'unhappy';"),
        "ADD VALUE IF NOT EXISTS 'unhappy'",
      ),
      error(pre('ALTER SEQUENCE users_n_seq RENAME TO users_number_seq;'), 'SEQUENCE'),
      error(pre('ALTER SCHEMA archive RENAME TO old_archive;'), 'SCHEMA archive'),
      error(
        post('ALTER TABLE audit_log SET SCHEMA archive;'),
        'Moving TABLE audit_log to schema archive',
      ),
      error(pre('ALTER FUNCTION make_code() RENAME TO make_token;'), 'FUNCTION'),
    ],
    safe: [
      pre('ALTER INDEX users_name_idx RENAME TO users_display_name_idx;'),
      post("ALTER TYPE mood ADD VALUE 'calm';"),
      pre('CREATE TABLE drafts (id bigint);\nALTER TABLE drafts SET SCHEMA archive;'),
    ],
  },
  {
    rule: 'enum-value-used-in-transaction',
    unsafe: [
      error(
        pre("ALTER TYPE mood ADD VALUE 'calm';\nUPDATE users SET feeling = 'calm' WHERE id = 1;"),
        'unsafe use of new value',
        "ALTER TYPE mood ADD VALUE IF NOT EXISTS 'calm';",
      ),
      error(
        post(
          "ALTER TYPE mood ADD VALUE 'calm';\nINSERT INTO users (id, feeling) VALUES (2, 'calm');",
        ),
        'line 2',
      ),
    ],
    safe: [
      pre("ALTER TYPE mood ADD VALUE IF NOT EXISTS 'calm';"),
      post(
        "BEGIN;\nALTER TYPE mood ADD VALUE 'calm';\nCOMMIT;\nUPDATE users SET feeling = 'calm' WHERE id = 1;",
      ),
    ],
  },
  {
    rule: 'domain-constraint-scan',
    unsafe: [
      error(
        pre('ALTER DOMAIN positive_int ADD CONSTRAINT positive_int_max CHECK (VALUE < 1000000);'),
        'SHARE lock',
        'NOT VALID',
      ),
      error(post('ALTER DOMAIN positive_int SET NOT NULL;'), 'CHECK (VALUE IS NOT NULL) NOT VALID'),
      warning(
        post('ALTER DOMAIN positive_int VALIDATE CONSTRAINT positive_int_check;'),
        'blocks writes',
      ),
    ],
    safe: [
      pre(
        'ALTER DOMAIN positive_int ADD CONSTRAINT positive_int_max CHECK (VALUE < 1000000) NOT VALID;',
      ),
      post('ALTER DOMAIN positive_int DROP NOT NULL;'),
    ],
  },
  {
    rule: 'refresh-materialized-view-non-concurrent',
    unsafe: [
      error(pre('REFRESH MATERIALIZED VIEW order_totals;'), 'every read of the view waits'),
      error(
        post('REFRESH MATERIALIZED VIEW order_totals;'),
        'REFRESH MATERIALIZED VIEW CONCURRENTLY order_totals',
      ),
    ],
    safe: [
      pre('REFRESH MATERIALIZED VIEW CONCURRENTLY order_totals;'),
      post(
        'CREATE MATERIALIZED VIEW user_emails AS SELECT id, email FROM users;\nREFRESH MATERIALIZED VIEW user_emails;',
      ),
    ],
  },
  {
    rule: 'attach-partition-scan',
    unsafe: [
      warning(
        pre(
          "ALTER TABLE measurements ATTACH PARTITION measurements_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');",
        ),
        'scans every row of measurements_2024',
        'VALIDATE CONSTRAINT measurements_2024_bound',
      ),
      warning(
        post(
          "ALTER TABLE measurements ATTACH PARTITION measurements_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');",
        ),
        'SHARE UPDATE EXCLUSIVE on the parent',
      ),
    ],
    safe: [
      pre(
        "CREATE TABLE measurements_2026 (id bigint, at date NOT NULL);\nALTER TABLE measurements ATTACH PARTITION measurements_2026 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');",
      ),
      post(
        "ALTER TABLE measurements_2025 VALIDATE CONSTRAINT measurements_2025_at_check;\nALTER TABLE measurements ATTACH PARTITION measurements_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');",
      ),
    ],
  },
  {
    rule: 'detach-partition-non-concurrent',
    unsafe: [
      error(
        pre('ALTER TABLE measurements DETACH PARTITION measurements_2023;'),
        'ACCESS EXCLUSIVE lock on measurements',
      ),
      error(
        post('ALTER TABLE measurements DETACH PARTITION measurements_2023;'),
        'ALTER TABLE measurements DETACH PARTITION measurements_2023 CONCURRENTLY;',
      ),
    ],
    safe: [
      pre('ALTER TABLE measurements DETACH PARTITION measurements_2023 CONCURRENTLY;'),
      post('ALTER TABLE measurements DETACH PARTITION measurements_2023 CONCURRENTLY;'),
    ],
  },
  {
    rule: 'add-exclusion-constraint',
    unsafe: [
      error(
        pre(
          'ALTER TABLE orders ADD CONSTRAINT orders_no_overlap EXCLUDE USING gist (during WITH &&);',
        ),
        'ACCESS EXCLUSIVE lock on orders',
      ),
      error(
        post(
          'ALTER TABLE orders ADD CONSTRAINT orders_no_overlap EXCLUDE USING gist (during WITH &&);',
        ),
        'shadow table',
      ),
    ],
    safe: [
      pre(
        'CREATE TABLE bookings (room int, during tstzrange, EXCLUDE USING gist (during WITH &&));',
      ),
      post(
        'CREATE TABLE slots (during tstzrange);\nALTER TABLE slots ADD CONSTRAINT slots_no_overlap EXCLUDE USING gist (during WITH &&);',
      ),
    ],
  },
  {
    rule: 'end-state-not-null-without-default',
    unsafe: [
      error(
        pre(
          "ALTER TABLE users ADD COLUMN nickname text NOT NULL DEFAULT '';\nALTER TABLE users ALTER COLUMN nickname DROP DEFAULT;",
        ),
        'users.nickname (added by this migration) is NOT NULL without a default',
        'NOT NULL DEFAULT <value>',
      ),
      error(
        pre(
          'ALTER TABLE users ADD COLUMN nickname text;\nALTER TABLE users ALTER COLUMN nickname SET NOT NULL;',
        ),
        'every INSERT of N into users fails',
      ),
    ],
    safe: [
      post(
        "ALTER TABLE users ADD COLUMN nickname text NOT NULL DEFAULT '';\nALTER TABLE users ALTER COLUMN nickname DROP DEFAULT;",
      ),
      pre(
        "ALTER TABLE users ADD COLUMN nickname text NOT NULL DEFAULT '';\nALTER TABLE users ALTER COLUMN nickname SET DEFAULT 'anonymous';",
      ),
    ],
  },
  {
    rule: 'revoke-privilege',
    unsafe: [
      error(pre('REVOKE INSERT ON audit_log FROM PUBLIC;'), 'permission denied', 'post-deploy'),
    ],
    safe: [
      post('REVOKE INSERT ON audit_log FROM PUBLIC;'),
      pre('GRANT SELECT ON audit_log TO PUBLIC;'),
    ],
  },
  {
    rule: 'change-owner',
    unsafe: [
      warning(pre('ALTER TABLE audit_log OWNER TO CURRENT_USER;'), 'current owner', 'GRANT SELECT'),
      warning(pre('ALTER TYPE mood OWNER TO CURRENT_USER;'), 'mood'),
    ],
    safe: [
      post('ALTER TABLE audit_log OWNER TO CURRENT_USER;'),
      pre('CREATE TABLE reports (id bigint);\nALTER TABLE reports OWNER TO CURRENT_USER;'),
    ],
  },
  {
    rule: 'not-judged',
    unsafe: [
      warning(
        pre('DO $$ BEGIN PERFORM 1; END $$;'),
        'does not judge Do statements',
        'zdm-ignore not-judged',
      ),
      warning(post('CALL refresh_all();'), 'Call'),
    ],
    safe: [pre("COMMENT ON TABLE users IS 'people';"), post('SET lock_timeout = 1000;')],
  },
];
