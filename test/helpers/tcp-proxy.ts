/**
 * A TCP proxy on 127.0.0.1 (port 0) between a client and a server, for tests of what a client does
 * when the network misbehaves: it forwards bytes both ways to the current target, and on demand
 * cuts a connection after a given number of bytes from the server (anywhere: in the headers, in
 * the middle of a line), answers a connection itself with a canned response (a gateway's 503
 * while the server restarts), or points at a new target (the server restarted on another port).
 * It counts the connections that sent a request, so a test can tell a client that stopped from
 * one that loops (an HTTP client may also open spare connections that send nothing).
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

/** What the proxy does with a connection. */
export type ProxyPlan =
  /** Forward it; cut it (both sides) once this many bytes came from the server. */
  | { readonly cutAfterBytes: number }
  /** Answer it with these bytes and close it. */
  | { readonly answer: string };

export interface TcpProxy {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Connections that sent a request so far. */
  readonly requests: number;
  /** Plans for the next connections that send a request, used in order (then plain forwarding). */
  plan(...plans: ProxyPlan[]): void;
  /** Plans not used yet. */
  readonly planned: number;
  /** Forward new connections to this port from now on. */
  retarget(port: number): void;
  /** Cuts every open connection now. */
  cutAll(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  let target = targetPort;
  let requests = 0;
  const plans: ProxyPlan[] = [];
  const live = new Set<Socket>();
  const track = (s: Socket) => {
    live.add(s);
    s.on('close', () => live.delete(s));
    s.on('error', () => s.destroy());
  };

  const forward = (client: Socket, first: Buffer, plan: { readonly cutAfterBytes: number } | undefined) => {
    const upstream = connect({ host: '127.0.0.1', port: target });
    track(upstream);
    const cut = () => {
      client.destroy();
      upstream.destroy();
    };
    upstream.on('error', cut);
    upstream.on('close', () => client.end());
    client.on('close', () => upstream.destroy());
    upstream.write(first);
    client.on('data', (d: Buffer) => upstream.write(d));
    let budget = plan === undefined ? Infinity : plan.cutAfterBytes;
    upstream.on('data', (d: Buffer) => {
      if (d.length < budget) {
        budget -= d.length;
        client.write(d);
        return;
      }
      upstream.pause();
      client.write(d.subarray(0, budget), cut);
      budget = 0;
    });
  };

  const server: Server = createServer((client) => {
    track(client);
    client.once('data', (first: Buffer) => {
      requests++;
      const plan = plans.shift();
      if (plan !== undefined && 'answer' in plan) {
        client.end(plan.answer);
        return;
      }
      forward(client, first, plan);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() { return requests; },
    get planned() { return plans.length; },
    plan(...p) { plans.push(...p); },
    retarget(p) { target = p; },
    cutAll() { for (const s of live) s.destroy(); },
    async close() {
      for (const s of live) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
