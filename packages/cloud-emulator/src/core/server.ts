import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { CloudEmulator } from './emulator.js';

/** A running loopback server. */
export interface EmulatorServer {
  /** `http://127.0.0.1:<port>`: use it as the provider's `apiUrl` (plus the API's own prefix, e.g. `/v1`). */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Serve one or more emulators over real HTTP on 127.0.0.1 (never another interface). Each request goes to the
 * first emulator that serves its path; a dropped-connection fault destroys the socket without an answer.
 */
export function startEmulatorServer(
  emulators: CloudEmulator | readonly CloudEmulator[],
  options: { port?: number } = {},
): Promise<EmulatorServer> {
  const list = Array.isArray(emulators) ? emulators : [emulators as CloudEmulator];
  return new Promise((resolve, reject) => {
    const server = serve(
      {
        hostname: '127.0.0.1',
        port: options.port ?? 0,
        fetch: async (request, env: { outgoing?: { destroy(): void } }) => {
          const pathname = new URL(request.url).pathname;
          const emulator = list.find((candidate) => candidate.serves(pathname));
          if (emulator === undefined) {
            return Response.json(
              { message: 'no emulated API at this path', type: 'not_found' },
              { status: 404 },
            );
          }
          const outcome = await emulator.handle(request);
          if (outcome.kind === 'response') return outcome.response;
          env.outgoing?.destroy();
          return new Response(null, { status: 500 });
        },
      },
      (info: AddressInfo) => {
        resolve({
          url: `http://127.0.0.1:${info.port}`,
          port: info.port,
          close: () =>
            new Promise<void>((done, fail) => {
              if ('closeAllConnections' in server) server.closeAllConnections();
              server.close((error) => (error ? fail(error) : done()));
            }),
        });
      },
    );
    server.once('error', reject);
  });
}
