/**
 * The Worker `client-cpu.ts` runs inside workerd: `POST /run` with a `ClientCpuInput` as its JSON body runs the
 * operation `n` times against the emulator on loopback and answers a `ClientCpuAnswer` (500 with the error
 * otherwise). Its CPU time is read from outside, from the workerd process's scheduler statistics.
 */
import { type ClientCpuInput, runClientCpuOperation } from './client-cpu-ops.js';

export default {
  async fetch(request: Request): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname === '/health') return Response.json({ ok: true });
    if (request.method !== 'POST' || pathname !== '/run') {
      return Response.json({ error: `no route ${request.method} ${pathname}` }, { status: 404 });
    }
    try {
      return Response.json(await runClientCpuOperation((await request.json()) as ClientCpuInput));
    } catch (error) {
      return Response.json(
        { error: error instanceof Error ? (error.stack ?? error.message) : String(error) },
        { status: 500 },
      );
    }
  },
};
