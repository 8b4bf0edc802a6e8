// node-oidc-provider configured as the peer for bench/compare.sh: one client on loopback, client
// credentials and introspection enabled, ES256 JWT access tokens, in-memory storage (its default adapter).
// It refuses to introspect its own JWT access tokens, so the introspection run starts it with
// TOKEN_FORMAT=opaque (a stored token looked up by value, as it would be in production).
// Usage: PORT=... CLIENT_ID=... CLIENT_SECRET=... SCOPE=... node oidc_provider.mjs  (run from the folder
// where `npm install oidc-provider` put node_modules).
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const scope = process.env.SCOPE;
const resource = 'urn:logbook:bench';
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const signingKey = { ...privateKey.export({ format: 'jwk' }), alg: 'ES256', use: 'sig', kid: 'bench-es256' };

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: process.env.CLIENT_ID,
    client_secret: process.env.CLIENT_SECRET,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'ES256',
    scope,
  }],
  jwks: { keys: [signingKey] },
  scopes: ['openid', scope],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope,
        audience: resource,
        accessTokenFormat: process.env.TOKEN_FORMAT || 'jwt',
        accessTokenTTL: 300,
        jwt: { sign: { alg: 'ES256' } },
      }),
    },
  },
});

const server = provider.listen(port, '127.0.0.1', () => console.log(`oidc-provider on ${port}`));
// Stop by itself even if the script that started it dies.
setTimeout(() => server.close(() => process.exit(0)), Number(process.env.LIFETIME_SECONDS || 600) * 1000).unref();
process.on('SIGTERM', () => server.close(() => process.exit(0)));
