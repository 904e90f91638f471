import { availableParallelism } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { openAiCompatibleUpstreamSetting, type OpenAiCompatibleUpstreamConfig, type UpstreamModelSetting } from '../providers/openai/settings.ts';
import type { WorkersAiConfig } from '../providers/workers-ai/settings.ts';
import type { LocalModelsConfig } from '../providers/local/settings.ts';
import type { OperationsConfig } from '../jobs/settings.ts';
import type { LimitsConfig } from '../accounts/settings.ts';
import type { ServiceSettings } from '../router/settings.ts';

/**
 * Every setting the service reads, parsed once at boot. Adapters and procedures receive the
 * parsed values; nothing else reads `process.env`.
 */
const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const commaList = z
  .string()
  .transform((value) => value.split(',').map((item) => item.trim()).filter(Boolean));



const jsonText = <T extends z.ZodType>(schema: T) =>
  z.string().transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be valid JSON' });
      return z.NEVER;
    }
  }).pipe(schema);

const port = z.coerce.number().int().min(0).max(65535);
const booleanText = z.enum(['true', 'false']).transform((value) => value === 'true');

const environmentSchema = z.object({
  PORT: port.default(8787),
  HOST: z.string().min(1).default('0.0.0.0'),
  CLUSTER_WORKERS: z.union([z.literal('auto'), z.coerce.number().int().min(1).max(256)]).default(1),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  DATA_DIR: z.string().min(1).default('./.data'),
  EMBEDDED_POSTGRES_PORT: port.optional(),
  LOG_LEVEL: z.enum(logLevels).default('info'),
  MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(10 * 1024 * 1024),
  MAX_BODY_BYTES_IN_FLIGHT: z.coerce.number().int().min(1024).default(256 * 1024 * 1024),
  MAX_BODY_BYTES_IN_FLIGHT_PER_PROJECT: z.coerce.number().int().min(1024).optional(),
  HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).default(300_000),
  BODY_IDLE_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  PUBLIC_BASE_URL: z.url().optional(),
  MODEL_ALIASES: jsonText(z.record(z.string().min(1), z.string().min(1))).optional(),
  CORS_ALLOWED_ORIGINS: z
    .string()
    .default('*')
    .transform((value) => value.split(',').map((item) => item.trim()).filter(Boolean)),
  LOCAL_MODELS_DIR: z.string().min(1).default('./models'),
  LOCAL_LLAMA_THREADS: z.coerce.number().int().min(1).max(256).default(availableParallelism()),
  LOCAL_LLAMA_GPU: z.enum(['auto', 'cuda', 'vulkan', 'metal', 'false']).default('false'),
  LOCAL_MAX_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  LOCAL_QUEUE_LIMIT: z.coerce.number().int().min(0).max(10_000).default(64),
  LOCAL_PROJECT_QUEUE_LIMIT: z.coerce.number().int().min(1).max(10_000).default(16),
  LOCAL_QUEUE_MAX_WAIT_MS: z.coerce.number().int().min(100).default(20_000),
  LOCAL_MAX_CONTEXT: z.coerce.number().int().min(128).default(4096),
  LOCAL_POOL_THREADS: z.coerce.number().int().min(1).max(256).default(Math.max(1, availableParallelism() - 1)),
  LOCAL_POOL_QUEUE_LIMIT: z.coerce.number().int().min(0).max(100_000).default(64),
  LOCAL_TASK_TIMEOUT_MS: z.coerce.number().int().min(100).default(120_000),
  LOCAL_POOL_MAX_MEMORY_MB: z.coerce.number().int().min(64).default(1536),
  DEFAULT_TEXT_MODEL: z.string().min(1).optional(),
  DEFAULT_EMBEDDINGS_MODEL: z.string().min(1).optional(),
  UPSTREAM_TIMEOUT_MS: z.coerce.number().int().min(100).default(120_000),
  SSE_KEEPALIVE_MS: z.coerce.number().int().min(100).default(15_000),
  VALIDATE_OUTPUTS_SAMPLE: z.coerce.number().min(0).max(1).default(0.01),
  OPENAI_API_KEY: z.string().min(1).optional(),
  OPENAI_BASE_URL: z.url().default('https://api.openai.com/v1'),
  OPENAI_MODELS: commaList.optional(),
  OPENAI_COMPAT_UPSTREAMS: jsonText(z.array(openAiCompatibleUpstreamSetting)).optional(),
  WORKERS_AI_ACCOUNT_ID: z.string().min(1).optional(),
  WORKERS_AI_API_TOKEN: z.string().min(1).optional(),
  WORKERS_AI_BASE_URL: z.url().default('https://api.cloudflare.com/client/v4'),
  WORKERS_AI_MODELS: commaList.optional(),
  RUN_WORKERS: booleanText.default(true),
  WORKER_HEALTH_PORT: z.coerce.number().int().min(0).max(65535).default(8788),
  OPERATION_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(8),
  /** Unset: half of OPERATION_CONCURRENCY, rounded up. */
  OPERATION_PROJECT_CONCURRENCY: z.coerce.number().int().min(1).max(1000).optional(),
  OPERATION_TIMEOUT_SECONDS: z.coerce.number().int().min(1).default(900),
  OPERATION_RETRY_LIMIT: z.coerce.number().int().min(0).max(100).default(3),
  OPERATION_RETRY_DELAY_SECONDS: z.coerce.number().int().min(1).default(2),
  OPERATION_HEARTBEAT_SECONDS: z.coerce.number().int().refine((value) => value === 0 || value >= 10, 'must be 0 (off) or at least 10').default(30),
  JOBS_SUPERVISE_SECONDS: z.coerce.number().int().min(1).default(30),
  WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
  WEBHOOK_RETRY_DELAY_SECONDS: z.coerce.number().int().min(1).default(5),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  WEBHOOK_ALLOW_PRIVATE_TARGETS: booleanText.default(false),
  WEBHOOK_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(16),
  WEBHOOK_PROJECT_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(4),
  STORAGE_BACKEND: z.enum(['fs', 's3']).default('fs'),
  STORAGE_MAX_OBJECT_BYTES: z.coerce.number().int().min(1).default(100 * 1024 * 1024),
  S3_ENDPOINT: z.url().optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_BUCKET: z.string().min(1).optional(),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  S3_FORCE_PATH_STYLE: booleanText.default(true),
  BOOTSTRAP_DEFAULT_KEY: booleanText.default(true),
  BOOTSTRAP_TOKEN_GRANT: z.string().regex(/^\d{1,20}(\.\d{1,12})?$/, 'must be a decimal amount of tokens').default('1000'),
  REALTIME_UPSTREAM_URL: z.string().regex(/^wss?:\/\//, 'must be a ws:// or wss:// URL').optional(),
  REALTIME_API_KEY: z.string().min(1).optional(),
  REALTIME_MODELS: commaList.optional(),
  REALTIME_INPUT_PER_MILLION: z.string().regex(/^\d+(\.\d+)?$/, 'must be a decimal amount of tokens').default('0'),
  REALTIME_OUTPUT_PER_MILLION: z.string().regex(/^\d+(\.\d+)?$/, 'must be a decimal amount of tokens').default('0'),
  ENFORCE_LIMITS: booleanText.default(true),
  RATE_LIMIT_REQUESTS_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  RATE_LIMIT_TOKENS_PER_MINUTE: z.coerce.number().int().min(1).default(2_000_000),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').optional(),
  LEDGER_LEASE_FRACTION: z.coerce.number().gt(0).max(1).default(0.2),
  LEDGER_FLUSH_MS: z.coerce.number().int().min(10).max(60_000).default(200),
  LEDGER_IDLE_RETURN_MS: z.coerce.number().int().min(100).default(5000),
  LEDGER_RECLAIM_MS: z.coerce.number().int().min(1000).default(30_000),
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  OTEL_SERVICE_NAME: z.string().min(1).default('ai-primitives'),
});

export interface ObservabilityConfig {
  /** Set: GET /metrics needs `Authorization: Bearer <token>`. */
  metricsToken: string | undefined;
  /** Set: traces are exported over OTLP/HTTP (protobuf) to `<endpoint>/v1/traces`; unset: tracing code is never loaded. */
  otlpEndpoint: string | undefined;
  serviceName: string;
}

/** Every setting; what procedures and the tRPC core read is declared with them (ServiceSettings). */
export interface Config extends ServiceSettings {
  /** Server processes sharing the port (one per core with `auto`). */
  clusterWorkers: number;
  host: string;
  /** Where `npm run worker` answers its liveness and readiness probes (`0` picks a free port). */
  workerHealthPort: number;
  databaseUrl: string | undefined;
  databasePoolSize: number;
  dataDir: string;
  /** Unset: the port used before, 54329, or any free one. */
  embeddedPostgresPort: number | undefined;
  logLevel: (typeof logLevels)[number];
  maxBodyBytes: number;
  /** Request bodies being read at once, in bytes, in one process: past it a request gets a 503 before its body is read. */
  maxBodyBytesInFlight: number;
  /** How much of that one project may hold (a quarter unless set): no project can take it all. */
  maxBodyBytesInFlightPerProject: number;
  /** A client that sends nothing of its body for this long gets a 408 and its connection closed. */
  bodyIdleTimeoutMs: number;
  /** How long a client may take to send its headers, and its whole request. */
  http: { headersTimeoutMs: number; requestTimeoutMs: number };
  /** Browser origins allowed to call the API (`*`: any); empty: no CORS headers. */
  corsOrigins: string[];
  /** Extra names for models: alias → `provider:model`. */
  modelAliases: Record<string, string>;
  local: LocalModelsConfig;
  upstreamTimeoutMs: number;
  sseKeepAliveMs: number;
  openAiCompatibleUpstreams: OpenAiCompatibleUpstreamConfig[];
  workersAi: WorkersAiConfig | undefined;
  bootstrapDefaultKey: boolean;
  /** Tokens granted to the default project created on first boot. */
  bootstrapTokenGrant: string;
  operations: OperationsConfig;
  limits: LimitsConfig;
  observability: ObservabilityConfig;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `  ${issue.path.join('.') || '(environment)'}: ${issue.message}`)
    .join('\n');
}

/** Parses the environment; throws a ConfigError naming every bad variable. */
export function loadConfig(environment: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(
    Object.entries(environment).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = environmentSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(`Invalid configuration:\n${describeIssues(parsed.error)}`);
  }
  const env = parsed.data;

  if ((env.WORKERS_AI_ACCOUNT_ID === undefined) !== (env.WORKERS_AI_API_TOKEN === undefined)) {
    throw new ConfigError(
      'Invalid configuration:\n  WORKERS_AI_ACCOUNT_ID and WORKERS_AI_API_TOKEN must be set together',
    );
  }

  if (env.STORAGE_BACKEND === 's3' && env.S3_BUCKET === undefined) {
    throw new ConfigError('Invalid configuration:\n  S3_BUCKET is required when STORAGE_BACKEND=s3');
  }
  const dataDir = path.resolve(env.DATA_DIR);

  const upstreams: OpenAiCompatibleUpstreamConfig[] = [];
  if (env.OPENAI_API_KEY !== undefined) {
    upstreams.push({
      name: 'openai',
      baseUrl: env.OPENAI_BASE_URL,
      apiKey: env.OPENAI_API_KEY,
      models: env.OPENAI_MODELS ?? defaultOpenAiModels,
      // OpenAI's current name for it; `max_tokens` is refused by its reasoning models.
      tokenLimitField: 'max_completion_tokens',
    });
  }
  for (const upstream of env.OPENAI_COMPAT_UPSTREAMS ?? []) {
    if (upstreams.some((existing) => existing.name === upstream.name) || upstream.name === 'local' || upstream.name === 'workers-ai') {
      throw new ConfigError(
        `Invalid configuration:\n  OPENAI_COMPAT_UPSTREAMS: the name "${upstream.name}" is already taken`,
      );
    }
    upstreams.push({
      name: upstream.name,
      baseUrl: upstream.base_url,
      apiKey: upstream.api_key,
      models: upstream.models,
      tokenLimitField: upstream.token_limit_field,
    });
  }

  return {
    port: env.PORT,
    host: env.HOST,
    workerHealthPort: env.WORKER_HEALTH_PORT,
    clusterWorkers: env.CLUSTER_WORKERS === 'auto' ? availableParallelism() : env.CLUSTER_WORKERS,
    databaseUrl: env.DATABASE_URL,
    databasePoolSize: env.DATABASE_POOL_SIZE,
    dataDir,
    embeddedPostgresPort: env.EMBEDDED_POSTGRES_PORT,
    logLevel: env.LOG_LEVEL,
    maxBodyBytes: env.MAX_BODY_BYTES,
    maxBodyBytesInFlight: env.MAX_BODY_BYTES_IN_FLIGHT,
    maxBodyBytesInFlightPerProject: env.MAX_BODY_BYTES_IN_FLIGHT_PER_PROJECT ?? Math.floor(env.MAX_BODY_BYTES_IN_FLIGHT / 4),
    bodyIdleTimeoutMs: env.BODY_IDLE_TIMEOUT_MS,
    http: { headersTimeoutMs: env.HTTP_HEADERS_TIMEOUT_MS, requestTimeoutMs: Math.max(env.HTTP_REQUEST_TIMEOUT_MS, env.HTTP_HEADERS_TIMEOUT_MS) },
    publicBaseUrl: env.PUBLIC_BASE_URL,
    corsOrigins: env.CORS_ALLOWED_ORIGINS,
    modelAliases: env.MODEL_ALIASES ?? {},
    local: {
      modelsDir: path.resolve(env.LOCAL_MODELS_DIR),
      threads: env.LOCAL_LLAMA_THREADS,
      gpu: env.LOCAL_LLAMA_GPU === 'false' ? false : env.LOCAL_LLAMA_GPU,
      concurrency: env.LOCAL_MAX_CONCURRENCY,
      queueLimit: env.LOCAL_QUEUE_LIMIT,
      projectQueueLimit: env.LOCAL_PROJECT_QUEUE_LIMIT,
      queueMaxWaitMs: env.LOCAL_QUEUE_MAX_WAIT_MS,
      maxContextSize: env.LOCAL_MAX_CONTEXT,
      pool: {
        threads: env.LOCAL_POOL_THREADS,
        queueLimit: env.LOCAL_POOL_QUEUE_LIMIT,
        projectLimit: env.LOCAL_PROJECT_QUEUE_LIMIT,
        maxWaitMs: env.LOCAL_QUEUE_MAX_WAIT_MS,
        taskTimeoutMs: env.LOCAL_TASK_TIMEOUT_MS,
        maxMemoryMb: env.LOCAL_POOL_MAX_MEMORY_MB,
      },
    },
    defaultTextModel: env.DEFAULT_TEXT_MODEL,
    defaultEmbeddingsModel: env.DEFAULT_EMBEDDINGS_MODEL,
    upstreamTimeoutMs: env.UPSTREAM_TIMEOUT_MS,
    sseKeepAliveMs: env.SSE_KEEPALIVE_MS,
    validateOutputsSample: env.VALIDATE_OUTPUTS_SAMPLE,
    openAiCompatibleUpstreams: upstreams,
    workersAi:
      env.WORKERS_AI_ACCOUNT_ID !== undefined && env.WORKERS_AI_API_TOKEN !== undefined
        ? {
            accountId: env.WORKERS_AI_ACCOUNT_ID,
            apiToken: env.WORKERS_AI_API_TOKEN,
            baseUrl: env.WORKERS_AI_BASE_URL,
            models: env.WORKERS_AI_MODELS,
          }
        : undefined,
    bootstrapDefaultKey: env.BOOTSTRAP_DEFAULT_KEY,
    bootstrapTokenGrant: env.BOOTSTRAP_TOKEN_GRANT,
    operations: {
      runWorkers: env.RUN_WORKERS,
      concurrency: env.OPERATION_CONCURRENCY,
      projectConcurrency: Math.min(env.OPERATION_PROJECT_CONCURRENCY ?? Math.ceil(env.OPERATION_CONCURRENCY / 2), env.OPERATION_CONCURRENCY),
      timeoutSeconds: env.OPERATION_TIMEOUT_SECONDS,
      retryLimit: env.OPERATION_RETRY_LIMIT,
      retryDelaySeconds: env.OPERATION_RETRY_DELAY_SECONDS,
      heartbeatSeconds: env.OPERATION_HEARTBEAT_SECONDS,
      superviseSeconds: env.JOBS_SUPERVISE_SECONDS,
    },
    realtime: env.REALTIME_UPSTREAM_URL
      ? {
          upstreamUrl: env.REALTIME_UPSTREAM_URL,
          apiKey: env.REALTIME_API_KEY ?? env.OPENAI_API_KEY,
          models: env.REALTIME_MODELS ?? ['gpt-4o-realtime-preview'],
          inputPerMillion: env.REALTIME_INPUT_PER_MILLION,
          outputPerMillion: env.REALTIME_OUTPUT_PER_MILLION,
        }
      : undefined,
    observability: {
      metricsToken: env.METRICS_TOKEN,
      otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
      serviceName: env.OTEL_SERVICE_NAME,
    },
    limits: {
      enforce: env.ENFORCE_LIMITS,
      requestsPerMinute: env.RATE_LIMIT_REQUESTS_PER_MINUTE,
      tokensPerMinute: env.RATE_LIMIT_TOKENS_PER_MINUTE,
      redisUrl: env.REDIS_URL,
      ledger: {
        leaseFraction: env.LEDGER_LEASE_FRACTION,
        flushIntervalMs: env.LEDGER_FLUSH_MS,
        idleReturnMs: env.LEDGER_IDLE_RETURN_MS,
        reclaimIntervalMs: env.LEDGER_RECLAIM_MS,
      },
    },
    webhooks: {
      maxAttempts: env.WEBHOOK_MAX_ATTEMPTS,
      retryDelaySeconds: env.WEBHOOK_RETRY_DELAY_SECONDS,
      timeoutMs: env.WEBHOOK_TIMEOUT_MS,
      allowPrivateTargets: env.WEBHOOK_ALLOW_PRIVATE_TARGETS,
      concurrency: env.WEBHOOK_CONCURRENCY,
      projectConcurrency: env.WEBHOOK_PROJECT_CONCURRENCY,
    },
    storage:
      env.STORAGE_BACKEND === 's3'
        ? {
            backend: 's3',
            maxObjectBytes: env.STORAGE_MAX_OBJECT_BYTES,
            endpoint: env.S3_ENDPOINT,
            region: env.S3_REGION,
            bucket: env.S3_BUCKET!,
            accessKeyId: env.S3_ACCESS_KEY_ID,
            secretAccessKey: env.S3_SECRET_ACCESS_KEY,
            forcePathStyle: env.S3_FORCE_PATH_STYLE,
          }
        : { backend: 'fs', maxObjectBytes: env.STORAGE_MAX_OBJECT_BYTES, directory: path.join(dataDir, 'storage') },
  };
}

/** Served when OPENAI_API_KEY is set and OPENAI_MODELS is not. */
const defaultOpenAiModels: UpstreamModelSetting[] = [
  'gpt-4o-mini',
  'gpt-4o',
  'text-embedding-3-small',
  'text-embedding-3-large',
  'omni-moderation-latest',
  'whisper-1',
  'tts-1',
  'tts-1-hd',
  'dall-e-2',
  'dall-e-3',
];
