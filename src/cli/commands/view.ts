/** `ftledger view [STORE]`: the web app over a run store, on this machine. */
import { checkViewStore, startViewServer } from "../../view/index.js";

export async function viewCommand(store: string, o: { port: number; host: string; allowHost: string[] }): Promise<number> {
  const check = checkViewStore(store);
  if (!check.ok) {
    process.stderr.write(`ftledger view: ${check.error}\n`);
    return 2;
  }
  let server;
  try {
    server = await startViewServer(check.dir, { port: o.port, host: o.host, allowHosts: o.allowHost });
  } catch (e) {
    process.stderr.write(`ftledger view: cannot listen on ${o.host}:${o.port} (${(e as Error).message}); choose another --port (0 = any free one).\n`);
    return 2;
  }
  process.stdout.write(`viewing the runs in ${check.dir} at ${server.url}\n(Ctrl-C to stop)\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await server.close();
  return 0;
}
