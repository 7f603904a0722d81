import type { ApolloServerPlugin } from '@apollo/server';
import { getOperationAST } from 'graphql';
import type { Context } from '../context.js';
import { operationName } from './metrics.js';
import { codeOf, operationScope, type OperationObserver, type OperationRecord } from './observer.js';

/**
 * Fills the record of the current HTTP operation (started by the /graphql middleware, see http.ts) with
 * what only Apollo knows: operation name and type, principal, project, SQL tally and the error codes sent.
 * Requests that run outside that middleware (e.g. `executeOperation` in tests) are reported here instead.
 */
export function observabilityPlugin(observer: OperationObserver): ApolloServerPlugin<Context> {
  return {
    async contextCreationDidFail({ error }) {
      // Authentication (or X-Craton-Project) failed: no request pipeline runs, but the client gets this code.
      operationScope.getStore()?.codes.push(codeOf(error));
    },
    async requestDidStart({ request, contextValue }) {
      const outer = operationScope.getStore();
      const rec: OperationRecord = outer ?? observer.start('http', contextValue.requestId);
      if (contextValue.requestId) rec.requestId = contextValue.requestId;
      rec.operation = operationName(request.operationName);
      rec.tally = contextValue.sql;
      rec.projectId = contextValue.scope?.projectId;
      rec.user = contextValue.principal?.userName;
      return {
        async validationDidStart({ document }) {
          // Parsed: name and type are known even if validation then fails.
          const op = getOperationAST(document, request.operationName);
          if (op) {
            rec.type = op.operation;
            rec.operation = operationName(op.name?.value);
          }
        },
        async didResolveOperation({ operation, operationName: name }) {
          rec.type = operation?.operation ?? 'unknown';
          rec.operation = operationName(name);
        },
        async willSendResponse({ response }) {
          // Formatted errors, including those other plugins added (source notices) before this one.
          if (response.body.kind === 'single') {
            for (const e of response.body.singleResult.errors ?? []) rec.codes.push(codeOf(e));
          }
          if (!outer) observer.finish(rec);
        },
      };
    },
  };
}
