// Apollo Client 4 over apollo-upload-client's UploadHttpLink, set up as the frontend sets it up, doing what the
// frontend does: read the user and the shot types, upload an image and make a subject with it as its cover, upload
// a ZIP of base images for that subject, and meet errors as Apollo hands them to the UI.
//
//   node apollo_http.mjs --url http://HOST/graphql --token JWT --png FILE --zip FILE
//
// Prints one JSON object (the summary); exits non-zero with the reason on any failure.

import { createHash, randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { basename } from "node:path";

import { ApolloClient, InMemoryCache, gql } from "@apollo/client";
import { CombinedGraphQLErrors } from "@apollo/client/errors";
import UploadHttpLink from "apollo-upload-client/UploadHttpLink.mjs";

import { deadline, emit, options, run } from "./common.mjs";

const args = options({ url: "STUDIO_GRAPHQL_URL", token: "STUDIO_TOKEN", png: null, zip: null });

const ME = gql`
  query Me {
    me { id email }
  }
`;
const SHOT_TYPES = gql`
  query ShotTypes {
    shotTypes(includePublic: true) { count data { id name } }
  }
`;
const UPLOAD_MEDIA = gql`
  mutation UploadMedia($file: Upload!) {
    uploadMedia(file: $file) { id url width height fileSize extension contentHash }
  }
`;
const CREATE_SUBJECT = gql`
  mutation CreateSubject($input: SubjectCreate!) {
    createSubject(input: $input) { id name ageClass coverImageUrl coverImageMedia { id } }
  }
`;
const UPLOAD_ZIP = gql`
  mutation UploadZip($file: Upload!, $subjectId: UUID) {
    uploadSubjectBaseImagesZip(file: $file, subjectId: $subjectId) {
      id subjectId status progress totalItems processedItems
    }
  }
`;
const SUBJECT = gql`
  query Subject($id: UUID!) {
    subject(id: $id) { id name }
  }
`;

function client(token) {
  const headers = {
    // Apollo's documented CSRF header for uploads; the server refuses a multipart request without it.
    "Apollo-Require-Preflight": "true",
  };
  if (token) {
    headers.Authorization = `Bearer ${token}`;
  }
  return new ApolloClient({ cache: new InMemoryCache(), link: new UploadHttpLink({ uri: args.url, headers }) });
}

/** The file as a browser's <input type="file"> hands it over: a File with its name and type. */
async function file(path, type) {
  return new File([await readFile(path)], basename(path), { type });
}

/** What the UI gets from an operation that must fail: Apollo's error, with each GraphQL error's code. */
async function failure(operation) {
  try {
    const result = await operation();
    return { unexpectedResult: result };
  } catch (error) {
    return {
      isCombinedGraphQLErrors: CombinedGraphQLErrors.is(error),
      message: error.message,
      data: error.data ?? null,
      errors: (error.errors ?? []).map((each) => ({
        message: each.message,
        path: each.path ?? null,
        code: each.extensions?.code ?? null,
      })),
    };
  }
}

async function main() {
  const summary = {};
  const stop = deadline(60, () => summary);
  const signedIn = client(args.token);

  summary.me = (await signedIn.query({ query: ME })).data.me;
  summary.shotTypes = (await signedIn.query({ query: SHOT_TYPES })).data.shotTypes;

  const png = await file(args.png, "image/png");
  const media = (await signedIn.mutate({ mutation: UPLOAD_MEDIA, variables: { file: png } })).data.uploadMedia;
  // The UI shows the image from its url, relative to the API's address.
  const served = await fetch(new URL(media.url, args.url));
  const servedBytes = Buffer.from(await served.arrayBuffer());
  summary.media = {
    ...media,
    served: {
      status: served.status,
      contentType: served.headers.get("content-type"),
      size: servedBytes.length,
      sha256: createHash("sha256").update(servedBytes).digest("hex"),
    },
  };

  summary.subject = (
    await signedIn.mutate({
      mutation: CREATE_SUBJECT,
      variables: { input: { name: "Apollo", ageClass: "ADULT", coverImage: { mediaResourceId: media.id } } },
    })
  ).data.createSubject;

  const zip = await file(args.zip, "application/zip");
  summary.task = (
    await signedIn.mutate({ mutation: UPLOAD_ZIP, variables: { file: zip, subjectId: summary.subject.id } })
  ).data.uploadSubjectBaseImagesZip;

  summary.errors = {
    notFound: await failure(() =>
      signedIn.query({ query: SUBJECT, variables: { id: randomUUID() }, fetchPolicy: "network-only" }),
    ),
    unauthenticated: await failure(() => client(null).query({ query: ME })),
  };

  stop();
  await emit(summary);
}

run(main);
