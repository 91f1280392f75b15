// A real OpenID provider (oidc-provider) on 127.0.0.1 for gatepass's social-login tests.
//
// node tests/oidc/provider.mjs --port 4100 --redirect-uri http://127.0.0.1:4200/auth/oidc/callback
//   [--client-auth client_secret_post]
//
// Three confidential clients share the redirect URI: "gatepass-test" (the app under test),
// "gatepass-other" (used to get ID tokens meant for another audience) and "gatepass-post"
// (registered for client_secret_post, so it must send its secret in the token request's
// body). --client-auth METHOD makes METHOD the only token endpoint authentication the
// provider offers (its discovery document lists just that) and every client's. PKCE is
// required of every client. devInteractions serve plain HTML login and consent forms;
// any login name is accepted, and the account's claims derive from it:
//   "<name>"            -> email "<name>@example.com", email_verified true
//   "unverified-<name>" -> the same, email_verified false
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    'redirect-uri': { type: 'string', multiple: true },
    'client-auth': { type: 'string' },
  },
});
const port = Number(values.port);
const redirectUris = values['redirect-uri'] ?? [];
if (!port || redirectUris.length === 0) {
  console.error('usage: provider.mjs --port N --redirect-uri URL [--redirect-uri URL ...]');
  process.exit(2);
}

function signingKeys() {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  return [
    { ...rsa.export({ format: 'jwk' }), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
    { ...ec.export({ format: 'jwk' }), kid: 'ec-1', alg: 'ES256', use: 'sig' },
  ];
}

const onlyAuthMethod = values['client-auth'];

function client(clientId, authMethod = 'client_secret_basic') {
  return {
    client_id: clientId,
    client_secret: `${clientId}-secret-0123456789abcdef`,
    redirect_uris: redirectUris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: onlyAuthMethod ?? authMethod,
  };
}

const clients = [
  client('gatepass-test'),
  client('gatepass-other'),
  client('gatepass-post', 'client_secret_post'),
];
const postOnly = new Set(
  clients.filter((c) => c.token_endpoint_auth_method === 'client_secret_post').map((c) => c.client_id),
);

// The client id of an "Authorization: Basic" header (RFC 6749 §2.3.1: form-encoded).
function basicClientId(header) {
  const [scheme, value] = header.split(' ');
  if (scheme?.toLowerCase() !== 'basic' || !value) return undefined;
  const pair = Buffer.from(value, 'base64').toString('utf8');
  try {
    return decodeURIComponent(pair.slice(0, pair.indexOf(':')).replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  clients,
  ...(onlyAuthMethod ? { clientAuthMethods: [onlyAuthMethod] } : {}),
  jwks: { keys: signingKeys() },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  pkce: { required: () => true },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
  },
  // Put the scope's claims in the ID token too (as Google does), so a login needs no
  // userinfo call; the userinfo endpoint answers as well.
  conformIdTokenClaims: false,
  features: {
    devInteractions: { enabled: true },
    userinfo: { enabled: true },
  },
  async findAccount(ctx, sub) {
    const unverified = sub.startsWith('unverified-');
    return {
      accountId: sub,
      async claims() {
        return {
          sub,
          email: `${sub}@example.com`,
          email_verified: !unverified,
          name: `Test ${sub}`,
        };
      },
    };
  },
});

// oidc-provider takes a secret in the header or the body whatever the client registered;
// providers that require client_secret_post refuse the header. Do as they do.
provider.use(async (ctx, next) => {
  const { authorization } = ctx.headers;
  if (ctx.method === 'POST' && ctx.path === '/token' && authorization
      && postOnly.has(basicClientId(authorization))) {
    ctx.status = 401;
    ctx.body = {
      error: 'invalid_client',
      error_description: 'this client authenticates with client_secret_post',
    };
    return;
  }
  await next();
});

const server = provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc provider ready at ${issuer}`);
});

function stop() {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
