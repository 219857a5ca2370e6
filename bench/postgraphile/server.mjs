// PostGraphile 5 over the bench's database, for the read benchmark (bench/README.md, "PostGraphile").
//
// The peer a user would pick instead of this API: the Amber preset as documented, no plugins of ours, reading the
// same tables the API reads (schema `public`), without visibility checks. Started by bench/postgraphile.py with
// DATABASE_URL, HOST and PORT; answers POST /graphql, and GET /readyz once its schema is built.
import { createServer } from "node:http";

import pg from "pg";
import { postgraphile } from "postgraphile";
import { makePgService } from "postgraphile/adaptors/pg";
import { grafserv } from "postgraphile/grafserv/node";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";

const { DATABASE_URL, HOST = "127.0.0.1", PORT = "5678" } = process.env;
// As many connections as the API's engine (pool_size 10 + max_overflow 10) and the baseline's pool.
const POOL_SIZE = 20;

const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [
    makePgService({
      pool: new pg.Pool({ connectionString: DATABASE_URL, max: POOL_SIZE }),
      schemas: ["public"],
    }),
  ],
  grafserv: { graphqlPath: "/graphql", graphiql: false, watch: false },
  grafast: { explain: false },
};

const pgl = postgraphile(preset);
await pgl.getSchema(); // introspect before answering readiness: the first request must not pay for it
const handle = pgl.createServ(grafserv).createHandler();
const server = createServer((request, response) => {
  if (request.url === "/readyz") {
    response.writeHead(200, { "content-type": "application/json" });
    response.end('{"status":"ok"}');
    return;
  }
  handle(request, response);
});
server.keepAliveTimeout = 60_000;
server.listen(Number(PORT), HOST);
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => server.close(() => pgl.release().then(() => process.exit(0))));
}
