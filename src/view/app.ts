/**
 * `ftledger view`: a local web app over a run store (Hono, server-rendered HTML).
 *   GET /                        the runs, newest first, and a form to compare two
 *   GET /runs/:id                one run's full report (src/report) under a nav bar
 *   GET /runs/:id/trajectory     Δ per checkpoint, and where each capability started to fall
 *   GET /compare?a=RUN&b=RUN     two runs' ledgers side by side, and what changed
 *   GET /api/runs, /api/runs/:id the same data as JSON
 * Pages load nothing from the network (inline CSS and SVG) and every string from the
 * store is escaped. The store is opened read-only per request and closed after it, so runs
 * an audit adds while the viewer is open show up on reload, no handle is left behind, and
 * the viewer never writes the store (it may sit in a read-only folder).
 */
import { dirname, resolve } from "node:path";
import { Hono, type Context } from "hono";
import { openRunStore, StoreError, type RunStore } from "../audit/index.js";
import { renderHtml, reportInputFromStore } from "../report/index.js";
import { comparePage } from "./compare.js";
import { hiddenTradeCount, navBar, overviewOf, runHref, verdictCounts, type RunOverview } from "./html.js";
import { messagePage, runningRunPage, runsPage } from "./pages.js";
import { capabilityPlot, checkpointsOf, singleCheckpointPage, trajectoryPage } from "./trajectory.js";

export type ViewStoreCheck = { ok: true; dir: string } | { ok: false; error: string; cause: StoreError };

/**
 * Is `dir` a run store the viewer can read? Opens it read-only and runs SQLite's integrity
 * check once; never creates, writes or changes anything, so a mistyped path is an error (not
 * a new empty store) and a store in a read-only folder (a CI artefact) can be viewed. `dir`
 * may also name the runs.sqlite file.
 */
export function checkViewStore(dir: string): ViewStoreCheck {
  try {
    const store = openRunStore(dir, { readonly: true });
    store.close();
    return { ok: true, dir: dirname(store.path) };
  } catch (e) {
    if (e instanceof StoreError) return { ok: false, error: e.message, cause: e };
    throw e;
  }
}

/** Open the store read-only for one request and close it when `fn` is done (also when it throws). */
async function withStore<T>(dir: string, fn: (store: RunStore) => T | Promise<T>): Promise<T> {
  // checkViewStore ran the integrity check when the viewer started; a read of a page
  // damaged since is still an error naming the file
  const store = openRunStore(dir, { readonly: true, check: false });
  try {
    return await fn(store);
  } finally {
    store.close();
  }
}

const overviews = (store: RunStore): RunOverview[] =>
  store.runs().flatMap((s) => {
    const r = store.run(s.id);
    return r ? [overviewOf(r)] : [];
  });

/** A run's row of GET /api/runs. */
function summaryJson(r: RunOverview) {
  return {
    id: r.id, created: r.created, updated: r.updated, status: r.status,
    base: r.base ?? null, tuned: r.tuned, items: r.items, probes: r.probes,
    hidden_trades: r.result ? hiddenTradeCount(r.result) : null,
    verdicts: r.result ? verdictCounts(r.result) : null,
  };
}

// No script on the viewer's own pages; the report page may carry its own inline script.
// Either way nothing is fetched from anywhere: default-src 'none'.
const CSP_PAGE = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
const CSP_REPORT = `${CSP_PAGE}; script-src 'unsafe-inline'`;

/** The report's whole page with the viewer's nav bar as the first thing in its body. */
function withNav(html: string, nav: string): string {
  const body = /<body[^>]*>/i.exec(html);
  return body ? html.slice(0, body.index + body[0].length) + nav + html.slice(body.index + body[0].length) : nav + html;
}

export function viewApp(storeDir: string): Hono {
  const dir = resolve(storeDir);
  const app = new Hono();

  app.use("*", async (c, next) => {
    await next();
    c.header("X-Content-Type-Options", "nosniff");
    c.header("Referrer-Policy", "no-referrer");
    if (!c.res.headers.has("Content-Security-Policy")) c.header("Content-Security-Policy", CSP_PAGE);
  });

  const htmlError = (c: Context, status: 400 | 404 | 500, title: string, message: string) => c.html(messagePage(status, title, message), status);
  const noRun = (c: Context, id: string) => htmlError(c, 404, "No such run", `This store has no run "${id}". The list of runs shows the ones it has.`);

  app.get("/", (c) => withStore(dir, (store) => c.html(runsPage(overviews(store), store.path))));

  app.get("/api/runs", (c) => withStore(dir, (store) => c.json({ store: store.path, runs: overviews(store).map(summaryJson) })));

  app.get("/api/runs/:id", (c) =>
    withStore(dir, (store) => {
      const r = store.run(c.req.param("id"));
      if (!r) return c.json({ error: { message: `no run "${c.req.param("id")}" in this store; GET /api/runs lists them` } }, 404);
      return c.json({ id: r.id, created: r.created, updated: r.updated, status: r.status, records: store.countRecords(r.id), manifest: r.manifest, result: r.result ?? null });
    }));

  app.get("/runs/:id", (c) =>
    withStore(dir, async (store) => {
      const id = c.req.param("id");
      const r = store.run(id);
      if (!r) return noRun(c, id);
      const run = overviewOf(r);
      const input = run.result ? reportInputFromStore(store, id) : undefined;
      if (!run.result || !input) return c.html(runningRunPage(run, store.countRecords(id)));
      const links = [{ href: `/api/runs/${encodeURIComponent(id)}`, label: "JSON" }];
      if (run.result.ledgers.length > 1) links.unshift({ href: `${runHref(id)}/trajectory`, label: "trajectory" });
      const html = await renderHtml(input, { title: `ftledger run ${id}` });
      c.header("Content-Security-Policy", CSP_REPORT);
      return c.html(withNav(html, navBar(links)));
    }));

  app.get("/runs/:id/trajectory", (c) =>
    withStore(dir, async (store) => {
      const id = c.req.param("id");
      const r = store.run(id);
      if (!r) return noRun(c, id);
      const run = overviewOf(r);
      if (!run.result) return c.html(runningRunPage(run, store.countRecords(id)));
      if (run.result.ledgers.length < 2) return c.html(singleCheckpointPage(run));
      const checkpoints = checkpointsOf(run.result.ledgers);
      return c.html(trajectoryPage(run, checkpoints, await capabilityPlot(checkpoints)));
    }));

  app.get("/compare", (c) =>
    withStore(dir, (store) => {
      const a = c.req.query("a")?.trim(), b = c.req.query("b")?.trim();
      if (!a || !b) return htmlError(c, 400, "Two runs needed", "Give two run ids: /compare?a=RUN&b=RUN (the list of runs has a form for it).");
      const runs = overviews(store);
      const pick = (id: string) => runs.find((x) => x.id === id);
      const ra = pick(a), rb = pick(b);
      if (!ra) return noRun(c, a);
      if (!rb) return noRun(c, b);
      for (const x of [ra, rb]) {
        if (!x.result) return htmlError(c, 400, "Run not finished", `Run "${x.id}" has no ledger yet (status ${x.status}): resume its audit, or pick a complete run.`);
      }
      return c.html(comparePage({ ...ra, result: ra.result! }, { ...rb, result: rb.result! }, runs));
    }));

  app.notFound((c) =>
    c.req.path.startsWith("/api/")
      ? c.json({ error: { message: `no route ${c.req.method} ${c.req.path}; the API serves GET /api/runs and /api/runs/:id` } }, 404)
      : htmlError(c, 404, "Not found", `There is no page ${c.req.path} here.`));
  app.onError((e, c) =>
    c.req.path.startsWith("/api/") ? c.json({ error: { message: e.message } }, 500) : htmlError(c, 500, "Something went wrong", e.message));
  return app;
}
