import type { ServerServices } from '../server-services.ts';
import type { BodyBudget } from './body-budget.ts';
import type { JsonThread } from './json-thread.ts';

/** What the pipeline's steps share for the life of the process. */
export interface PipelineServices {
  services: ServerServices;
  bodyBudget: BodyBudget;
  jsonThread: JsonThread;
}
