import { expect } from 'vitest';
import { bearer } from './test-server.ts';

export interface OperationBody {
  id: string;
  status: string;
  attempts: number;
  result: any;
  error: { code: string; message: string } | null;
  [field: string]: any;
}

export async function getOperation(baseUrl: string, key: string, id: string): Promise<OperationBody> {
  const response = await fetch(`${baseUrl}/infra/ai/operations/${id}`, { headers: bearer(key) });
  expect(response.status).toBe(200);
  return ((await response.json()) as { data: OperationBody }).data;
}

/** Polls an operation (bounded: 300 polls) until its status is one of `statuses`. */
export async function waitForOperation(baseUrl: string, key: string, id: string, statuses: string[], intervalMs = 50): Promise<OperationBody> {
  let operation = await getOperation(baseUrl, key, id);
  for (let poll = 0; poll < 300 && !statuses.includes(operation.status); poll++) {
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    operation = await getOperation(baseUrl, key, id);
  }
  expect(statuses, `operation ${id} is ${operation.status}`).toContain(operation.status);
  return operation;
}
