// Placeholder: the workflow service is being written. The composition root (src/server.ts) builds it with
// createWorkflowService(deps), calls start() after migrations and stop() on shutdown.
export interface WorkflowService {
  start(): Promise<void>;
  stop(): Promise<void>;
}
