import { createRequire } from 'node:module';
import path from 'node:path';
import express, { type Router } from 'express';

const require = createRequire(import.meta.url);

/** Files GraphiQL needs, served from node_modules: the machines are offline, so no CDN. */
const packageDir = (name: string) => path.dirname(require.resolve(`${name}/package.json`));
const ASSETS: Record<string, string> = {
  'react.production.min.js': path.join(packageDir('react'), 'umd/react.production.min.js'),
  'react-dom.production.min.js': path.join(packageDir('react-dom'), 'umd/react-dom.production.min.js'),
  'graphiql.min.js': path.join(packageDir('graphiql'), 'graphiql.min.js'),
  'graphiql.min.css': path.join(packageDir('graphiql'), 'graphiql.min.css'),
};

/** The operations the playground opens with; a test checks they are valid against the schema. */
export const PLAYGROUND_EXAMPLE = `# Welcome to Graphplane.
#
# 1. Run the logIn mutation below (demo credentials are printed by npm start).
# 2. Open "Headers" (bottom panel) and set:
#      { "Authorization": "Bearer <token from logIn>" }
# 3. Run the Dashboard query: your teams, their members and invitations in one request.
#
# Docs: the book icon on the left documents every type and field.

mutation LogIn {
  logIn(input: { email: "alice@graphplane.dev", password: "demo-password" }) {
    token
    expiresAt
    user { id email }
    userErrors { field code message }
  }
}

query Dashboard {
  viewer {
    email
    teams(first: 20) {
      totalCount
      nodes {
        slug
        name
        viewerRole
        members(first: 20) { nodes { role since user { email fullName } } }
        invitations(first: 10) { nodes { email role status expiresAt } }
      }
    }
    invitations(first: 10) { nodes { id teamName role } }
  }
}

query Clusters {
  clusters(first: 10) {
    nodes {
      id name status version region team { slug }
      nodePools { name nodeType nodeCount }
      apps(first: 10) { nodes { name state } }
      operations(first: 3) { nodes { id type status progress error } }
    }
  }
}

mutation CreateTeam {
  createTeam(input: { slug: "my-team", name: "My team" }) {
    team { id slug name }
    userErrors { field code message }
  }
}

mutation Invite($teamId: ID!) {
  inviteMember(input: { teamId: $teamId, email: "dave@graphplane.dev", role: MEMBER }) {
    invitation { id email role status }
    userErrors { field code message }
  }
}
`;

function page(endpoint: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8" />
<meta name="viewport" content="width=device-width, initial-scale=1" />
<title>Graphplane playground</title>
<link rel="stylesheet" href="/playground/graphiql.min.css" />
<style>html,body,#graphiql{height:100%;margin:0;}</style>
</head>
<body>
<div id="graphiql">Loading the playground…</div>
<script src="/playground/react.production.min.js"></script>
<script src="/playground/react-dom.production.min.js"></script>
<script src="/playground/graphiql.min.js"></script>
<script>
  const fetcher = GraphiQL.createFetcher({ url: ${JSON.stringify(endpoint)} });
  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, {
      fetcher,
      defaultQuery: ${JSON.stringify(PLAYGROUND_EXAMPLE)},
      defaultHeaders: '{\\n  "Authorization": "Bearer <paste the token from logIn>"\\n}',
      defaultEditorToolsVisibility: 'headers',
      shouldPersistHeaders: true,
    }),
  );
</script>
</body>
</html>`;
}

/** GraphiQL at GET /graphql for browsers, with its assets under /playground. */
export function playgroundRouter(endpoint: string): Router {
  const router = express.Router();
  const html = page(endpoint);
  router.get('/playground/:file', (req, res, next) => {
    const file = ASSETS[req.params.file];
    if (!file) return next();
    res.sendFile(file, { maxAge: '1d' });
  });
  router.get(endpoint, (req, res, next) => {
    // Browsers ask for HTML; GraphQL clients using GET ask for JSON and send a query.
    const wantsPage = req.accepts(['application/graphql-response+json', 'application/json', 'text/html']) === 'text/html';
    if (!wantsPage || req.query.query !== undefined) return next();
    res.type('html').send(html);
  });
  return router;
}
