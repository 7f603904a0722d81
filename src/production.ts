/**
 * Imported first by the gateway's entry point (src/main.ts) and the benchmarks, before anything loads
 * graphql: a served gateway runs in production mode unless NODE_ENV says otherwise. graphql-js checks
 * in development mode that every schema object comes from one copy of the library, on each of the
 * thousands of type checks a query makes (measured: 13% of the gateway's throughput on small queries).
 * Nothing else of Craton reads NODE_ENV; Apollo's options that depend on it are set explicitly.
 */
process.env.NODE_ENV ??= 'production';
