import { deployOperationHandler } from '../apps/deploy-service.js';
import { clusterOperationHandlers } from '../clusters/operations.js';
import type { OperationHandlers } from './queue.js';

/** How each type of operation runs. */
export const operationHandlers: OperationHandlers = {
  ...clusterOperationHandlers,
  APP_DEPLOY: deployOperationHandler,
  APP_ROLLBACK: deployOperationHandler,
};
