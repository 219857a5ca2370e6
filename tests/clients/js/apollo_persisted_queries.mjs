// Apollo Client 4 with its persisted-query link in front of HttpLink, as a frontend sets up automatic persisted
// queries: once over POST, once with `useGETForHashedQueries` (hashed queries over GET, so that a CDN may cache
// them). Each client runs the same query twice; every request the link makes is recorded from a fetch wrapper,
// with what it sent (method, whether the query text went along, the hash) and what came back.
//
//   node apollo_persisted_queries.mjs --url http://HOST/graphql --token JWT --nonce NAME
//
// `--nonce` makes the operation's name, so that its hash is new to the server. Prints one JSON summary.

import { createHash } from "node:crypto";

import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";

import { deadline, emit, options, run } from "./common.mjs";

const args = options({ url: "STUDIO_GRAPHQL_URL", token: "STUDIO_TOKEN", nonce: null });

function sha256(text) {
  return createHash("sha256").update(text).digest("hex");
}

/** What one request carried and answered, whichever way it went (GET: URL parameters; POST: a JSON body). */
async function recorded(uri, init) {
  const url = new URL(uri);
  const method = init.method ?? "GET";
  const sent = method === "GET" ? Object.fromEntries(url.searchParams) : JSON.parse(init.body);
  const extensions = typeof sent.extensions === "string" ? JSON.parse(sent.extensions) : sent.extensions;
  const variables = typeof sent.variables === "string" ? JSON.parse(sent.variables) : sent.variables;
  const response = await fetch(uri, init);
  const body = await response.clone().json();
  return {
    response,
    request: {
      method,
      query: sent.query ?? null,
      variables: variables ?? null,
      persistedQuery: extensions?.persistedQuery ?? null,
      status: response.status,
      codes: (body.errors ?? []).map((error) => error.extensions?.code ?? null),
      data: body.data ?? null,
    },
  };
}

function client(useGETForHashedQueries, requests) {
  const http = new HttpLink({
    uri: args.url,
    headers: { Authorization: `Bearer ${args.token}` },
    fetch: async (uri, init) => {
      const { response, request } = await recorded(uri, init);
      requests.push(request);
      return response;
    },
  });
  // PersistedQueryLink is what `createPersistedQueryLink` (deprecated in Apollo Client 4) makes.
  const persisted = new PersistedQueryLink({ sha256, useGETForHashedQueries });
  return new ApolloClient({ cache: new InMemoryCache(), link: persisted.concat(http) });
}

async function twice(useGETForHashedQueries, name) {
  const requests = [];
  const query = gql(`
    query ${name}($limit: Int!) {
      me { id email }
      shotTypes(includePublic: true, limit: $limit) { count data { id name } }
    }
  `);
  const signedIn = client(useGETForHashedQueries, requests);
  const results = [];
  for (let run = 0; run < 2; run += 1) {
    const result = await signedIn.query({ query, variables: { limit: 3 }, fetchPolicy: "network-only" });
    results.push(result.data);
  }
  return { requests, results };
}

async function main() {
  const summary = {};
  const stop = deadline(40, () => summary);
  summary.post = await twice(false, `ApqPost_${args.nonce}`);
  summary.get = await twice(true, `ApqGet_${args.nonce}`);
  stop();
  await emit(summary);
}

run(main);
