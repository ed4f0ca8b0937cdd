// Mounts GraphiQL against this server's /graphql. The API key goes in the Headers tab; it
// is not persisted (an operator or production key must not linger in local storage).
// Subscriptions go over a WebSocket to the same path (ws: or wss: as the page), where the
// Headers tab becomes the connection_init payload, so the same key authenticates them.
(function () {
  var endpoint = new URL('/graphql', window.location.href);
  var socket = new URL(endpoint.toString());
  socket.protocol = endpoint.protocol === 'https:' ? 'wss:' : 'ws:';
  var fetcher = GraphiQL.createFetcher({
    url: endpoint.toString(),
    subscriptionUrl: socket.toString(),
  });
  var defaultQuery = [
    '# Welcome to the Layer2 onboarding API.',
    '#',
    '# 1. Put your API key in the Headers tab below,',
    '#    after "Bearer " (the server prints the',
    '#    sandbox key when its database is new).',
    '# 2. Run with the play button or Ctrl-Enter.',
    '#',
    '# Subscriptions run here too, e.g.',
    '#   subscription { events { cursor node { sequence type } } }',
    '',
    'query WhoAmI {',
    '  viewer {',
    '    id',
    '    name',
    '    environment',
    '    regulated',
    '  }',
    '}',
    '',
  ].join('\n');
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: defaultQuery,
      defaultEditorToolsVisibility: 'headers',
      shouldPersistHeaders: false,
      defaultHeaders: JSON.stringify({ Authorization: 'Bearer <your API key>' }, null, 2),
    })
  );
})();
