/**
 * The application router served at `/trpc`: one sub-router per domain (`log` for now; the
 * witness and evidence domains join here). Clients import only the type {@link ApiRouter}.
 */
import { createCallerFactory, router } from './trpc.js';
import { logRouter } from './routers/log.js';

export const apiRouter = router({ log: logRouter });

/** The router type for `@trpc/client`. */
export type ApiRouter = typeof apiRouter;

/** `createApiCaller(ctx)`: calls procedures in-process, without HTTP. */
export const createApiCaller = createCallerFactory(apiRouter);
