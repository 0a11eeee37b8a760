// A real OpenID provider (the oidc-provider package) for the identity-provider tests, run as a child
// process (oidc-provider is an ES module with its own dependencies; jest loads CommonJS). Its keys come
// from the parent, so a restart on the same port with other keys is a key rotation at the provider.
// argv[2]: JSON { port, keys: [private JWK, ...] } (the first key signs). It prints "listening <issuer>".
// Tokens: client_credentials for client "meshguard-tests" (secret "meshguard-tests-secret"), as JWT
// access tokens for the resource https://meshguard.test, audience "meshguard".
import http from 'node:http';
import Provider from 'oidc-provider';

const { port, keys } = JSON.parse(process.argv[2]);
const RESOURCE = 'https://meshguard.test';

// Listening first: the issuer names the port, which the system picks when port is 0.
const server = http.createServer();
await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;
const provider = new Provider(issuer, {
  clients: [
      {
        client_id: 'meshguard-tests',
        client_secret: 'meshguard-tests-secret',
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: keys[0].alg,
      },
    ],
    jwks: { keys },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => {
          if (resource !== RESOURCE) throw new Error(`unknown resource ${resource}`);
          return { scope: 'read', audience: 'meshguard', accessTokenFormat: 'jwt', accessTokenTTL: 600, jwt: { sign: { alg: keys[0].alg } } };
        },
      },
    },
});
server.on('request', provider.callback());
process.stdout.write(`listening ${issuer}\n`);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
