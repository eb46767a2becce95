/**
 * Versioned schema migrations, applied in order and recorded in `schema_migrations`. Written in portable SQL; the
 * only dialect difference (binary column type) is a placeholder each implementation fills in. Never edit an applied
 * migration: add a new one.
 */
export interface Migration {
  id: string;
  sql: string;
}

/** Dialect placeholders: `{{blob}}` → BLOB (SQLite) / BYTEA (PostgreSQL). */
export function renderMigration(sql: string, dialect: { blob: string }): string {
  return sql.replaceAll('{{blob}}', dialect.blob);
}

export const MIGRATIONS: Migration[] = [
  {
    id: '0001_vault_core',
    sql: `
CREATE TABLE subjects (
  id TEXT PRIMARY KEY,
  ref TEXT NOT NULL UNIQUE,
  status TEXT NOT NULL,
  source TEXT NOT NULL,
  created_at TEXT NOT NULL,
  record_date TEXT,
  dk_version INTEGER NOT NULL,
  erased_at TEXT,
  kyc_status TEXT
);
CREATE TABLE subject_fields (
  subject_id TEXT NOT NULL REFERENCES subjects(id),
  field TEXT NOT NULL,
  ciphertext {{blob}} NOT NULL,
  PRIMARY KEY (subject_id, field)
);
CREATE TABLE data_keys (
  subject_id TEXT PRIMARY KEY REFERENCES subjects(id),
  dk_version INTEGER NOT NULL,
  kek_version INTEGER NOT NULL,
  wrapped {{blob}} NOT NULL
);
CREATE INDEX data_keys_kek ON data_keys (kek_version);
CREATE TABLE blind_indexes (
  subject_id TEXT NOT NULL REFERENCES subjects(id),
  kind TEXT NOT NULL,
  digest TEXT NOT NULL,
  PRIMARY KEY (kind, digest, subject_id)
);
CREATE INDEX blind_indexes_subject ON blind_indexes (subject_id);
CREATE TABLE images (
  id TEXT PRIMARY KEY,
  subject_id TEXT NOT NULL REFERENCES subjects(id),
  kind TEXT NOT NULL,
  blob_key TEXT NOT NULL UNIQUE,
  sha256 TEXT NOT NULL,
  format TEXT NOT NULL,
  width INTEGER NOT NULL,
  height INTEGER NOT NULL,
  byte_size INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  source TEXT NOT NULL,
  status TEXT NOT NULL,
  UNIQUE (subject_id, sha256)
);
CREATE INDEX images_subject ON images (subject_id);
CREATE TABLE audit_log (
  seq INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  subject_id TEXT,
  purpose TEXT,
  details TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX audit_log_subject ON audit_log (subject_id);
CREATE TABLE audit_checkpoints (
  seq INTEGER PRIMARY KEY,
  hash TEXT NOT NULL,
  at TEXT NOT NULL,
  key_id TEXT NOT NULL,
  signature TEXT NOT NULL
);
`,
  },
  {
    id: '0002_releases',
    sql: `
CREATE TABLE recipients (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  service TEXT,
  scope_kinds TEXT,
  created_at TEXT NOT NULL
);
CREATE TABLE recipient_contracts (
  recipient_id TEXT NOT NULL REFERENCES recipients(id),
  start_date TEXT NOT NULL,
  end_date TEXT NOT NULL,
  PRIMARY KEY (recipient_id, start_date, end_date)
);
CREATE TABLE releases (
  id TEXT PRIMARY KEY,
  recipient_id TEXT NOT NULL REFERENCES recipients(id),
  created_at TEXT NOT NULL,
  purpose TEXT NOT NULL,
  actor TEXT NOT NULL,
  channel TEXT NOT NULL
);
CREATE INDEX releases_recipient ON releases (recipient_id);
CREATE TABLE release_items (
  payload TEXT PRIMARY KEY,
  release_id TEXT NOT NULL REFERENCES releases(id),
  subject_id TEXT NOT NULL,
  image_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX release_items_release ON release_items (release_id);
CREATE TABLE holdings (
  recipient_id TEXT NOT NULL REFERENCES recipients(id),
  subject_id TEXT NOT NULL,
  start_date TEXT NOT NULL,
  end_date TEXT,
  source TEXT NOT NULL,
  PRIMARY KEY (recipient_id, subject_id, start_date, source)
);
CREATE INDEX holdings_subject ON holdings (subject_id);
`,
  },
  {
    id: '0003_face_descriptors',
    sql: `
CREATE TABLE face_descriptors (
  subject_id TEXT PRIMARY KEY REFERENCES subjects(id),
  model TEXT NOT NULL,
  ciphertext {{blob}} NOT NULL,
  created_at TEXT NOT NULL
);
`,
  },
];
