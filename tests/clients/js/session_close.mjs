// What the frontend's subscription clients see when the session behind a websocket ends (logout, password change,
// deactivation): the server closes it with 4401 and the reason. graphql-ws's createClient, with its default retry
// settings, must take that close as final (graphql-ws retries most closes, but not 4401 Unauthorized) and fail the
// subscription with it; Apollo Client's GraphQLWsLink on top of it must report it as the subscription's error.
//
//   node session_close.mjs --url ws://HOST/graphql --token JWT --task TASK_ID
//
// Prints {"event": "subscribed"} once both clients hold the task (the test then logs the token out), then the
// summary: how each client's subscription ended, every close its websocket saw and how often it connected.

import { ApolloClient, InMemoryCache, gql } from "@apollo/client";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions";
import { createClient } from "graphql-ws";
import WebSocket from "ws";

import { deadline, emit, options, run } from "./common.mjs";

globalThis.WebSocket ??= WebSocket;

const args = options({ url: "STUDIO_GRAPHQL_WS_URL", token: "STUDIO_TOKEN", task: null });

const PROGRESS = "subscription Progress($taskId: UUID!) { uploadTaskProgress(taskId: $taskId) { id status } }";

/** A graphql-ws client as the frontend makes it, retry settings left at graphql-ws's defaults. */
function wsClient(report) {
  return createClient({
    url: args.url,
    webSocketImpl: WebSocket,
    connectionParams: { Authorization: `Bearer ${args.token}` },
    on: {
      connected: () => {
        report.connections += 1;
      },
      closed: (event) => report.closes.push({ code: event.code, reason: event.reason }),
    },
  });
}

/** How one subscription ended: `{received, error}` once it errors or completes. Apollo Client 4 delivers an error
 * as a result (`{data: undefined, error}`) and then completes, graphql-ws through the sink's `error`: both count. */
function follow(subscribe, report, onFirst) {
  return new Promise((resolve) => {
    let failure = null;
    subscribe({
      next: (value) => {
        if (value?.error) {
          failure ??= value.error;
          return;
        }
        report.received += 1;
        if (report.received === 1) {
          onFirst();
        }
      },
      error: (error) => resolve({ ...report, error: failure ?? error }),
      complete: () => resolve({ ...report, error: failure }),
    });
  });
}

/** A close event as graphql-ws hands it to the sink (not an Error), or Apollo's Error around it. */
function errorOf(error) {
  if (error === null) {
    return null;
  }
  if (error instanceof Error) {
    return { kind: "Error", name: error.name, message: error.message };
  }
  if (typeof error === "object" && "code" in error && "reason" in error) {
    return { kind: "CloseEvent", code: error.code, reason: error.reason };
  }
  return { kind: typeof error, value: String(error) };
}

async function main() {
  const reports = {
    graphqlWs: { connections: 0, closes: [], received: 0 },
    apollo: { connections: 0, closes: [], received: 0 },
  };
  const stop = deadline(60, () => reports);

  let announce;
  const bothSubscribed = new Promise((resolve) => {
    announce = resolve;
  });
  let firsts = 0;
  const onFirst = () => {
    firsts += 1;
    if (firsts === 2) {
      announce();
    }
  };

  const variables = { taskId: args.task };
  const graphqlWs = wsClient(reports.graphqlWs);
  const apolloWs = wsClient(reports.apollo);
  const apollo = new ApolloClient({ cache: new InMemoryCache(), link: new GraphQLWsLink(apolloWs) });
  const ended = Promise.all([
    follow((sink) => graphqlWs.subscribe({ query: PROGRESS, variables }, sink), reports.graphqlWs, onFirst),
    follow((sink) => apollo.subscribe({ query: gql(PROGRESS), variables }).subscribe(sink), reports.apollo, onFirst),
  ]);
  await Promise.race([bothSubscribed, ended]);
  await emit({ event: "subscribed" });

  const [graphqlWsEnd, apolloEnd] = await ended;
  // Give a client that would wrongly reconnect the time to do it, so that the summary shows it.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  stop();
  await emit({
    event: "summary",
    graphqlWs: { ...graphqlWsEnd, connections: reports.graphqlWs.connections, error: errorOf(graphqlWsEnd.error) },
    apollo: { ...apolloEnd, connections: reports.apollo.connections, error: errorOf(apolloEnd.error) },
  });
  await Promise.all([graphqlWs.dispose(), apolloWs.dispose()]);
}

run(main);
