import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { authenticate } from '../auth/authenticate.js';
import { withStatementScope, type StatementScope } from '../db/statements.js';
import { Context, type AppServices } from '../graphql/context.js';
import { buildGraphqlSchema } from '../graphql/schema.js';
import { INTERNAL_MESSAGE, errorFormatter, errorLoggingPlugin } from './errors.js';
import { GraphQLError } from 'graphql';
import { jitGateway } from './executor.js';
import { playgroundRouter } from './playground.js';
import { queryLimitsPlugin, validationRules, websocketOperations } from './query-limits.js';
import { operationHandlers } from '../modules/operations/handlers.js';
import { OperationWorker } from '../modules/operations/worker.js';

export const GRAPHQL_PATH = '/graphql';

export interface RunningServer {
  httpServer: http.Server;
  url: string;
  /** Stops accepting connections, lets in-flight requests finish, then resolves. */
  stop(): Promise<void>;
}

type ScopedRequest = express.Request & { statementScope?: StatementScope; requestId?: string };

const REQUEST_ID = /^[\w.:-]{1,100}$/;

/** The largest request accepted: an HTTP body, or one WebSocket message. */
const MAX_REQUEST_BYTES = 200 * 1024;

/** Reports how many SQL statements the request issued, when the server is configured to. */
function statementHeaderPlugin(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue }) {
          response.http.headers.set('x-sql-statements', String(contextValue.statementScope.count));
        },
      };
    },
  };
}

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

/**
 * The client's address for a WebSocket upgrade, as Express's `req.ip` gives it for HTTP with
 * `trust proxy: loopback`: X-Forwarded-For counts only when a local proxy sent it, read from the
 * right past the local hops. Logins over graphql-ws are throttled by it.
 */
function clientAddress(request: http.IncomingMessage): string {
  const forwarded = String(request.headers['x-forwarded-for'] ?? '')
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean)
    .reverse();
  const hops = [request.socket.remoteAddress ?? 'unknown', ...forwarded];
  return hops.find((address) => !LOOPBACK.test(address)) ?? hops[hops.length - 1];
}

export async function startServer(services: AppServices): Promise<RunningServer> {
  const { config, logger, database } = services;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  const httpServer = http.createServer(app);

  const schema = await buildGraphqlSchema();
  const formatError = errorFormatter({ hideSuggestions: config.production });

  /** Who is calling, from a bearer header: one statement; never throws for a bad token. */
  const contextFor = async (
    authorization: string | undefined,
    requestId: string,
    client: { ip: string; userAgent: string },
    scope?: StatementScope,
  ): Promise<Context> => {
    let auth;
    try {
      auth = await authenticate(database.db, authorization, logger);
    } catch (error) {
      logger.error({ err: error, requestId }, 'authentication failed unexpectedly');
      throw new GraphQLError(INTERNAL_MESSAGE, { extensions: { code: 'INTERNAL_SERVER_ERROR', requestId, http: { status: 503 } } });
    }
    return new Context(services, requestId, auth, client, scope, () => contextFor(authorization, requestId, client));
  };

  // Subscriptions over graphql-ws on the same path; the bearer token comes in connectionParams.
  // Every operation sent over the socket meets the same limits as over HTTP: message size, validation, cost.
  const wsServer = new WebSocketServer({ server: httpServer, path: GRAPHQL_PATH, maxPayload: MAX_REQUEST_BYTES });
  const websocketOperation = websocketOperations(schema, config);
  const wsCleanup = useServer<{ Authorization?: unknown; authorization?: unknown }>(
    {
      schema,
      context: (ws) => {
        const params = ws.connectionParams ?? {};
        const header = params.Authorization ?? params.authorization;
        const request = ws.extra.request;
        return contextFor(typeof header === 'string' ? header : undefined, randomUUID(), {
          ip: clientAddress(request),
          userAgent: request.headers['user-agent'] ?? '',
        });
      },
      onSubscribe: (_ctx, _id, payload) => websocketOperation(payload),
      // Same masking as HTTP: no internals in subscription errors either.
      onError: (_ctx, _id, _payload, errors) => errors.map((e) => formatError(e.toJSON(), e)),
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: result.errors.map((e) => formatError(e.toJSON(), e)) } : result,
    },
    wsServer,
  );
  const apollo = new ApolloServer<Context>({
    ...(config.graphqlJit ? { gateway: jitGateway(schema, logger) } : { schema }),
    formatError,
    includeStacktraceInErrorResponses: false,
    // Authentication is a bearer header, never a cookie, so cross-site requests carry no credentials.
    csrfPrevention: false,
    // Turned off (INTROSPECTION=false) by a validation rule of ours, which covers WebSocket too.
    introspection: true,
    // main.ts handles SIGTERM itself (drain, then close the pool); two handlers racing to stop hung shutdown.
    stopOnTerminationSignals: false,
    validationRules: validationRules(config),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      { serverWillStart: async () => ({ drainServer: async () => void (await wsCleanup.dispose()) }) },
      // Measured to halve throughput on large responses; the API uses no cache hints.
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginLandingPageDisabled(),
      errorLoggingPlugin(logger),
      queryLimitsPlugin(config),
      ...(config.exposeSqlStats ? [statementHeaderPlugin()] : []),
    ],
  });
  await apollo.start();
  await services.events.start();
  // Every replica works the operations queue unless told not to; on PGlite this is the only one.
  const worker =
    config.operationWorkers > 0
      ? new OperationWorker(database, services.provisioner, operationHandlers, logger, {
          concurrency: config.operationWorkers,
          leaseMs: config.operationLeaseSeconds * 1000,
        })
      : null;
  await worker?.start();

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      await Promise.race([database.ping(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000))]);
      res.json({ status: 'ready', database: database.engine });
    } catch (error) {
      logger.warn({ err: error }, 'readiness check failed');
      res.status(503).json({ status: 'unavailable', reason: 'database unreachable' });
    }
  });

  app.use(playgroundRouter(GRAPHQL_PATH));

  app.use(GRAPHQL_PATH, (req: ScopedRequest, res, next) => {
    const given = req.get('x-request-id');
    req.requestId = given && REQUEST_ID.test(given) ? given : randomUUID();
    res.setHeader('x-request-id', req.requestId);
    next();
  });
  app.use(GRAPHQL_PATH, express.json({ limit: MAX_REQUEST_BYTES }), (req: ScopedRequest, _res, next) => {
    // Entered after the body is read, so that everything the request runs from here counts.
    req.statementScope = withStatementScope(next).scope;
  });
  app.use(
    GRAPHQL_PATH,
    expressMiddleware(apollo, {
      context: async ({ req }) => {
        const r = req as ScopedRequest;
        return contextFor(
          req.get('authorization'),
          r.requestId!,
          { ip: req.ip ?? 'unknown', userAgent: req.get('user-agent') ?? '' },
          r.statementScope,
        );
      },
    }),
  );
  app.use(
    (error: Error & { status?: number; type?: string }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      const status = error.status && error.status < 500 ? error.status : 500;
      if (status === 500) logger.error({ err: error }, 'unexpected HTTP error');
      const message =
        error.type === 'entity.too.large'
          ? 'The request body is too large (at most 200 KB).'
          : status < 500
            ? 'The request body is not valid JSON.'
            : 'Internal server error.';
      res.status(status).json({ errors: [{ message, extensions: { code: status < 500 ? 'BAD_REQUEST' : 'INTERNAL_SERVER_ERROR' } }] });
    },
  );

  await new Promise<void>((resolve) => httpServer.listen(config.port, config.host, resolve));
  const address = httpServer.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  return {
    httpServer,
    url: `http://${host}:${port}${GRAPHQL_PATH}`,
    stop: async () => {
      await apollo.stop();
      // Running operations are handed back at their next step, for another replica or the next start.
      await worker?.stop();
      await services.events.stop();
    },
  };
}
