/**
 * The application router served at `/trpc`: one sub-router per domain (`log`: the tree;
 * `events`: the event store). Clients import only the type {@link ApiRouter}.
 */
import { createCallerFactory, router } from './trpc.js';
import { eventsRouter } from './routers/events.js';
import { logRouter } from './routers/log.js';

export const apiRouter = router({ log: logRouter, events: eventsRouter });

/** The router type for `@trpc/client`. */
export type ApiRouter = typeof apiRouter;

/** `createApiCaller(ctx)`: calls procedures in-process, without HTTP. */
export const createApiCaller = createCallerFactory(apiRouter);
