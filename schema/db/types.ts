import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;

export interface ProjectsTable {
  id: string;
  name: string;
  created_at: CreatedAt;
  requests_per_minute: ColumnType<number | null, number | null | undefined, number | null>;
  tokens_per_minute: ColumnType<number | null, number | null | undefined, number | null>;
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
  requests_per_minute: ColumnType<number | null, number | null | undefined, number | null>;
  tokens_per_minute: ColumnType<number | null, number | null | undefined, number | null>;
}

/**
 * Append-only token movements; a project's balance is their sum. A call reserves its most
 * possible cost (`reservation`, negative) and gives back what it did not use (`release`).
 */
export interface LedgerEntriesTable {
  id: Generated<string>;
  project_id: string;
  kind: 'grant' | 'reservation' | 'release';
  reservation_id: string | null;
  key_id: string | null;
  /** numeric(38,12), carried as a string to keep decimals exact. */
  amount: string;
  note: string | null;
  created_at: CreatedAt;
}

export type OperationStatus = 'queued' | 'processing' | 'succeeded' | 'failed' | 'cancelled';
type Timestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json = ColumnType<unknown, string | undefined | null, string | null>;

export interface OperationsTable {
  id: string;
  project_id: string;
  /** The primitive (`responses`, `chat.completions`, ...). */
  kind: string;
  /** The route whose definition runs it (`/v1/responses`): its wire shapes shape the result. */
  route: string;
  status: OperationStatus;
  model: string | null;
  input: ColumnType<unknown, string, never>;
  result: Json;
  result_destination: Json;
  usage: Json;
  error: Json;
  webhook_topic: string | null;
  job_id: string | null;
  key_id: string | null;
  attempts: ColumnType<number, number | undefined, number>;
  /** When a cancel was asked; it ends the operation in the same statement. */
  cancel_requested_at: Timestamp;
  /** When the worker committed to completing (before storing the result): a cancel after it is refused. */
  completing_at: Timestamp;
  created_at: CreatedAt;
  queued_at: ColumnType<Date, Date | string | undefined, Date | string>;
  processing_at: Timestamp;
  succeeded_at: Timestamp;
  failed_at: Timestamp;
  cancelled_at: Timestamp;
}

export interface StorageBucketsTable {
  id: string;
  project_id: string;
  name: string;
  created_at: CreatedAt;
}

export interface StorageObjectsTable {
  bucket_id: string;
  key: string;
  content_type: string;
  /** bigint, read as a string by pg. */
  size: ColumnType<string, number, number>;
  sha256: string;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface WebhookEndpointsTable {
  id: string;
  project_id: string;
  url: string;
  topics: string[];
  secret: string;
  created_at: CreatedAt;
  deleted_at: Timestamp;
}

export interface WebhookDeliveriesTable {
  id: string;
  endpoint_id: string;
  project_id: string;
  operation_id: string;
  event_type: string;
  payload: ColumnType<unknown, string, never>;
  status: 'pending' | 'succeeded' | 'failed';
  created_at: CreatedAt;
  completed_at: Timestamp;
}

export interface WebhookAttemptsTable {
  id: Generated<string>;
  delivery_id: string;
  attempt: number;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  created_at: CreatedAt;
}

export interface ProjectBalancesTable {
  project_id: string;
  balance: ColumnType<string, string | undefined, string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface BalanceLeasesTable {
  id: string;
  project_id: string;
  holder: string;
  amount: ColumnType<string, string | undefined, string>;
  spent: ColumnType<string, string | undefined, string>;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  closed_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

/** Settled calls of one key, primitive, model and unit written together: an array per field, a call per index. */
export interface UsageRecordGroupsTable {
  id: Generated<string>;
  project_id: string;
  key_id: string;
  primitive: string;
  model: string | null;
  unit: string;
  created_at: CreatedAt;
  input_units: ColumnType<string[], string, never>;
  output_units: ColumnType<string[], string, never>;
  charged_picotokens: ColumnType<string[], string, never>;
  latency_ms: ColumnType<number[], string, never>;
  status: ColumnType<string[], string, never>;
  request_id: ColumnType<string[], string, never>;
  /** The group's counts were made by the service (no usage reported, no tokenizer), not reported by the model. */
  estimated: Generated<boolean>;
}

/** A view: a row per call of `usage_record_groups`. */
export interface UsageRecordsTable {
  group_id: ColumnType<string, never, never>;
  /** The call's place in its group, from 1. */
  position: ColumnType<string, never, never>;
  project_id: string;
  key_id: string;
  primitive: string;
  model: string | null;
  input_units: ColumnType<string, number, number>;
  output_units: ColumnType<string, number, number>;
  unit: string;
  tokens_charged: ColumnType<string, string, string>;
  latency_ms: number;
  status: string;
  request_id: string;
  created_at: CreatedAt;
  estimated: ColumnType<boolean, never, never>;
}

export interface RealtimeSessionsTable {
  id: string;
  project_id: string;
  key_id: string;
  model: string;
  upstream_model: string;
  secret_hash: string;
  settings: ColumnType<Record<string, unknown>, string, never>;
  expires_at: ColumnType<Date, Date, never>;
  created_at: CreatedAt;
  /** When the secret opened its relay; a secret opens one. */
  connected_at: ColumnType<Date | null, never, Date>;
}

export interface StoredResponsesTable {
  id: string;
  project_id: string;
  response: ColumnType<unknown, string, string>;
  input_items: ColumnType<unknown[], string, never>;
  conversation: ColumnType<unknown[], string, never>;
  created_at: CreatedAt;
}

export interface Database {
  projects: ProjectsTable;
  api_keys: ApiKeysTable;
  ledger_entries: LedgerEntriesTable;
  operations: OperationsTable;
  storage_buckets: StorageBucketsTable;
  storage_objects: StorageObjectsTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
  project_balances: ProjectBalancesTable;
  balance_leases: BalanceLeasesTable;
  usage_record_groups: UsageRecordGroupsTable;
  usage_records: UsageRecordsTable;
  realtime_sessions: RealtimeSessionsTable;
  stored_responses: StoredResponsesTable;
}

export type RealtimeSession = Selectable<RealtimeSessionsTable>;
export type StoredResponse = Selectable<StoredResponsesTable>;

export type UsageRecord = Selectable<UsageRecordsTable>;

export type Operation = Selectable<OperationsTable>;
export type StorageBucket = Selectable<StorageBucketsTable>;
export type StorageObject = Selectable<StorageObjectsTable>;
export type WebhookEndpoint = Selectable<WebhookEndpointsTable>;
export type WebhookDelivery = Selectable<WebhookDeliveriesTable>;
export type WebhookAttempt = Selectable<WebhookAttemptsTable>;

export type Project = Selectable<ProjectsTable>;
export type ApiKey = Selectable<ApiKeysTable>;
export type NewApiKey = Insertable<ApiKeysTable>;
export type LedgerEntry = Selectable<LedgerEntriesTable>;
