/** `ftledger serve SPEC`: any model as an OpenAI-compatible API on this machine. */
import { isEftSpec, openAnyModel as openModel } from "../../compose/index.js";
import { startServer } from "../../serve/index.js";

export async function serveCommand(spec: string, o: { port: number; host: string; name?: string }): Promise<number> {
  let model;
  try {
    model = await openModel(spec);
  } catch (e) {
    process.stderr.write(`ftledger: ${(e as Error).message}\n`);
    return 2;
  }
  const name = o.name ?? (isEftSpec(spec) ? "eft" : undefined) ?? spec.replace(/^[a-z]+:/, "").replace(/\/+$/, "").split("/").pop() ?? model.id;
  let server;
  try {
    server = await startServer(model, { port: o.port, host: o.host, modelName: name });
  } catch (e) {
    process.stderr.write(`ftledger: cannot listen on ${o.host}:${o.port} (${(e as Error).message}); choose another --port.\n`);
    await model.close();
    return 2;
  }
  process.stdout.write(`serving ${model.id} as "${name}" at ${server.url}\n`);
  process.stdout.write(`try: curl -s ${server.url}/completions -H 'content-type: application/json' -d '{"model":"${name}","prompt":"the cat","max_tokens":8,"echo":true,"logprobs":1}'\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await server.close();
  await model.close();
  return 0;
}
