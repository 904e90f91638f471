import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;

export interface ProjectsTable {
  id: string;
  name: string;
  created_at: CreatedAt;
}

export interface ApiKeysTable {
  id: string;
  project_id: string;
  name: string;
  /** The first characters of the key, safe to show (`sk_live_Ab12…`). */
  display_prefix: string;
  /** SHA-256 of the whole key; the key itself is never stored. */
  key_hash: string;
  scopes: string[];
  created_at: CreatedAt;
  revoked_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

/** Append-only token movements; the balance of a project is their sum. */
export interface LedgerEntriesTable {
  id: Generated<string>;
  project_id: string;
  kind: 'grant';
  /** numeric(38,12), carried as a string to keep decimals exact. */
  amount: string;
  note: string | null;
  created_at: CreatedAt;
}

export interface Database {
  projects: ProjectsTable;
  api_keys: ApiKeysTable;
  ledger_entries: LedgerEntriesTable;
}

export type Project = Selectable<ProjectsTable>;
export type ApiKey = Selectable<ApiKeysTable>;
export type NewApiKey = Insertable<ApiKeysTable>;
export type LedgerEntry = Selectable<LedgerEntriesTable>;
