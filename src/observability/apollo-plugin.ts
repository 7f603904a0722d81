import type { ApolloServerPlugin } from '@apollo/server';
import { getOperationAST } from 'graphql';
import type { Context } from '../context.js';
import { operationName } from './metrics.js';
import { codeOf, type OperationObserver, type OperationRecord } from './observer.js';

/**
 * Fills the record of the current HTTP operation (started by the /graphql middleware, see http.ts, and
 * handed over in the context) with what only Apollo knows: operation name and type, principal, project,
 * SQL tally and the error codes sent. Requests that run outside that middleware (e.g. `executeOperation`
 * in tests) are reported here instead.
 */
export function observabilityPlugin(observer: OperationObserver): ApolloServerPlugin<Context> {
  return {
    async requestDidStart({ request, contextValue }) {
      const outer = contextValue.operation;
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
