// The subscription clients the frontend uses, following one ZIP upload task to its end: graphql-ws's createClient
// (graphql-transport-ws) and Apollo Client's GraphQLWsLink on top of it, each on its own websocket, authenticated by
// the connection_init payload. First, a task that does not exist, which must be refused with its code.
//
//   node subscriptions.mjs --url ws://HOST/graphql --token JWT --task TASK_ID
//
// Prints {"event": "subscribed", ...} once both clients have the task as it stands (the test starts the worker
// then, so that the PENDING state is seen), then the summary: every state each client received, in order.
// Exits non-zero with the reason on any failure (a refused or closed connection, an error, no end in time).

import { randomUUID } from "node:crypto";

import { ApolloClient, InMemoryCache, gql } from "@apollo/client";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions";
import { createClient } from "graphql-ws";
import WebSocket from "ws";

import { deadline, describe, emit, options, run } from "./common.mjs";

// Node 20 has no WebSocket global (browsers do): give it the one `ws` makes, as a browser would have it, for
// graphql-ws and for Apollo's link, which looks at the global when it reports a connection error.
globalThis.WebSocket ??= WebSocket;

const args = options({ url: "STUDIO_GRAPHQL_WS_URL", token: "STUDIO_TOKEN", task: null });

const FIELDS = `id ownerId subjectId status progress totalItems processedItems imagesProcessed imagesSkipped
  portfolioImagesProcessed errorMessage createdAt startedAt completedAt resultData`;
const PROGRESS = `subscription Progress($taskId: UUID!) { uploadTaskProgress(taskId: $taskId) { ${FIELDS} } }`;

/** A graphql-ws client as the frontend makes it; `closes` records how its websockets ended, for the report. */
function wsClient(closes) {
  return createClient({
    url: args.url,
    webSocketImpl: WebSocket,
    connectionParams: { Authorization: `Bearer ${args.token}` },
    // A failure must show, not be retried away.
    retryAttempts: 0,
    on: { closed: (event) => closes.push({ code: event.code, reason: event.reason }) },
  });
}

/** graphql-ws's own API: resolves with every payload once the server completes the operation. */
function followWithGraphqlWs(client, variables, onNext) {
  const payloads = [];
  return new Promise((resolve, reject) => {
    client.subscribe(
      { query: PROGRESS, variables },
      {
        next: (payload) => {
          payloads.push(payload);
          onNext(payload);
        },
        error: (error) => reject(Object.assign(new Error(`graphql-ws: ${describe(error)}`), { payloads, error })),
        complete: () => resolve(payloads),
      },
    );
  });
}

/** Apollo Client's subscribe: resolves with every result ({data} or {error}) once the subscription completes. */
function followWithApollo(client, variables, onNext) {
  const results = [];
  return new Promise((resolve, reject) => {
    client.subscribe({ query: gql(PROGRESS), variables }).subscribe({
      next: (result) => {
        results.push(result);
        onNext(result);
      },
      error: (error) => reject(new Error(`Apollo GraphQLWsLink: ${describe(error)}`)),
      complete: () => resolve(results),
    });
  });
}

async function main() {
  const closes = { graphqlWs: [], apollo: [] };
  const received = { graphqlWs: [], apollo: [] };
  const stop = deadline(90, () => ({ received, closes }));

  const graphqlWs = wsClient(closes.graphqlWs);
  const apolloWs = wsClient(closes.apollo);
  const apollo = new ApolloClient({ cache: new InMemoryCache(), link: new GraphQLWsLink(apolloWs) });

  // A refusal reaches the client as the operation's error: GraphQL errors with their codes, and no data.
  let refusal;
  try {
    const payloads = await followWithGraphqlWs(graphqlWs, { taskId: randomUUID() }, () => {});
    refusal = { unexpectedPayloads: payloads };
  } catch (error) {
    if (!Array.isArray(error.error)) {
      throw error; // not a refusal: the connection itself failed
    }
    refusal = {
      payloads: error.payloads,
      errors: error.error.map((each) => ({ message: each.message, code: each.extensions?.code ?? null })),
    };
  }

  let announce;
  const bothSubscribed = new Promise((resolve) => {
    announce = resolve;
  });
  const announceWhenBoth = () => {
    if (received.graphqlWs.length > 0 && received.apollo.length > 0) {
      announce();
    }
  };
  const variables = { taskId: args.task };
  const following = Promise.all([
    followWithGraphqlWs(graphqlWs, variables, (payload) => {
      received.graphqlWs.push(payload);
      announceWhenBoth();
    }),
    followWithApollo(apollo, variables, (result) => {
      received.apollo.push(result);
      announceWhenBoth();
    }),
  ]);
  // Either both clients hold the first state, or one failed first: report that failure, not a timeout.
  await Promise.race([bothSubscribed, following]);
  await emit({ event: "subscribed", graphqlWs: received.graphqlWs[0], apollo: received.apollo[0] });
  const [graphqlWsPayloads, apolloResults] = await following;

  stop();
  await graphqlWs.dispose();
  await apolloWs.dispose();
  await emit({
    event: "summary",
    refusal,
    graphqlWs: graphqlWsPayloads,
    apollo: apolloResults.map((result) => ({
      data: result.data ?? null,
      error: result.error ? describe(result.error) : null,
    })),
    closes,
  });
}

run(main);
