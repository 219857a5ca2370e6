// Boots the vendored GraphiQL (see VERSIONS.txt) for the page that graph/graphiql.py renders.
// Settings come from the page's JSON block rather than inline script, so a strict Content-Security-Policy
// ("script-src 'self'") can be applied to the API without breaking GraphiQL.
(function () {
  "use strict";

  var mountPoint = document.getElementById("graphiql");

  function showBootError(error) {
    mountPoint.className = "graphiql-boot-error";
    mountPoint.textContent = "GraphiQL failed to start: " + (error && error.message ? error.message : error);
  }

  try {
    var config = JSON.parse(document.getElementById("graphiql-config").textContent);

    // The endpoint is resolved against the page's own address, so the same page works behind any host,
    // port or TLS terminator; subscriptions use the same path with ws:// or wss://.
    var httpUrl = new URL(config.endpoint, window.location.href);
    httpUrl.search = "";
    httpUrl.hash = "";
    var wsUrl = new URL(httpUrl.href);
    wsUrl.protocol = httpUrl.protocol === "https:" ? "wss:" : "ws:";

    // GraphiQL's UMD build bundles graphql-ws, so subscriptionUrl alone gives a graphql-transport-ws client.
    // GraphiQL passes the editor's headers as the connection_init payload, which is where the API reads the
    // token on websockets.
    var baseFetcher = GraphiQL.createFetcher({ url: httpUrl.href, subscriptionUrl: wsUrl.href });

    // The default headers are only a hint. Left untouched they would send a bogus token, which the API may
    // refuse as a bad token (UNAUTHENTICATED) even for schema introspection and the login mutation that
    // yields a real one, so headers still holding the placeholder are not sent.
    function withoutPlaceholders(headers) {
      var kept = {};
      Object.keys(headers).forEach(function (name) {
        var value = headers[name];
        if (!(typeof value === "string" && value.indexOf(config.tokenPlaceholder) !== -1)) {
          kept[name] = value;
        }
      });
      return kept;
    }

    // GraphiQL 3.8 keeps the last operation name it saw while the document has one, and never clears it: after
    // the Login example, an anonymous "{ me { email } }" still goes out with operationName "Login", which the API
    // refuses as an unknown operation (found by tests/e2e). The name also decides whether GraphiQL sends the
    // operation over the websocket: a named subscription sent without its name goes over HTTP instead. So a name
    // that no operation of the document carries is replaced by the document's only operation name, or dropped
    // when the document has no single named operation; any other name is sent as GraphiQL chose it.
    var OPERATION_NAMES = /\b(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)/g;

    function withCurrentOperationName(params) {
      if (!params || typeof params.query !== "string") {
        return params;
      }
      var names = [];
      var match;
      OPERATION_NAMES.lastIndex = 0;
      while ((match = OPERATION_NAMES.exec(params.query)) !== null) {
        names.push(match[1]);
      }
      var name = params.operationName;
      if (typeof name === "string" && names.indexOf(name) !== -1) {
        return params;
      }
      var kept = Object.assign({}, params);
      if (names.length === 1) {
        kept.operationName = names[0];
      } else {
        delete kept.operationName;
      }
      return kept;
    }

    function fetcher(params, options) {
      params = withCurrentOperationName(params);
      if (options && options.headers) {
        options = Object.assign({}, options, { headers: withoutPlaceholders(options.headers) });
      }
      return baseFetcher(params, options);
    }

    // The explorer is a convenience; GraphiQL must still start if its script is missing.
    var plugins = typeof GraphiQLPluginExplorer === "undefined" ? [] : [GraphiQLPluginExplorer.explorerPlugin()];

    ReactDOM.createRoot(mountPoint).render(
      React.createElement(GraphiQL, {
        fetcher: fetcher,
        plugins: plugins,
        defaultQuery: config.defaultQuery,
        defaultHeaders: config.defaultHeaders,
        defaultEditorToolsVisibility: "headers",
        isHeadersEditorEnabled: true,
        shouldPersistHeaders: true,
        inputValueDeprecation: true,
      }),
    );
  } catch (error) {
    showBootError(error);
    throw error;
  }
})();
