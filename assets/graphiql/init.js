// Mounts GraphiQL against this server's /graphql. The API key goes in the Headers tab; it
// is not persisted (an operator or production key must not linger in local storage).
(function () {
  var endpoint = new URL('/graphql', window.location.href).toString();
  var fetcher = GraphiQL.createFetcher({ url: endpoint });
  var defaultQuery = [
    '# Welcome to the Layer2 onboarding API.',
    '#',
    '# 1. Put your API key in the Headers tab below,',
    '#    after "Bearer " (the server prints the',
    '#    sandbox key when its database is new).',
    '# 2. Run with the play button or Ctrl-Enter.',
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
