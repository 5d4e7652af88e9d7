// A local OpenID provider that behaves like Pro Santé Connect (PSC), for tests, CI and
// `make run PSC=local` only. It is the certified `oidc-provider` package configured like PSC:
// discovery, authorization code + PKCE S256, acr `eidas1`, scope `openid scope_all`, userinfo as a
// signed JWT carrying the PSC claims, token introspection (for the mail server), refresh tokens
// and RP-initiated logout. Never deploy it: it signs anyone in who clicks a name.
//
// Usage: node server.mjs --port N --identities FILE --config FILE [--keys FILE] [--test-endpoints]
//   FILE (identities): JSON list of test professionals (see README.md), generated from the demo.
//   FILE (config): JSON {clients: [...]}, the relying party and the mail server.
//   --test-endpoints: enables /test/* (mint a token, end a session, inject a fault); loopback only.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';

import Provider from 'oidc-provider';
import * as jose from 'jose';

function argument(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : process.argv[i + 1];
}

const port = Number(argument('port', '0'));
const identities = JSON.parse(fs.readFileSync(argument('identities'), 'utf8'));
const config = JSON.parse(fs.readFileSync(argument('config'), 'utf8'));
const testEndpoints = process.argv.includes('--test-endpoints');
const accessTtl = Number(argument('access-ttl', '300'));
const issuer = `http://127.0.0.1:${port}`;

const byRpps = new Map(identities.map((who) => [who.rpps, who]));
const byAccount = new Map(identities.map((who) => [accountId(who.rpps), who]));

// PSC's `sub` is opaque; the platform must link by SubjectNameID ("8" + RPPS), never by `sub`.
function accountId(rpps) {
  return `psc-${crypto.createHash('sha256').update(`liaison-test:${rpps}`).digest('hex').slice(0, 24)}`;
}

function pscClaims(who) {
  return {
    SubjectNameID: `8${who.rpps}`,
    preferred_username: `8${who.rpps}`,
    given_name: who.given_name,
    family_name: who.family_name,
    SubjectRefPro: {
      codeCivilite: who.civilite || '',
      exercices: who.exercices.map((ex) => ({
        codeProfession: ex.profession_code,
        codeCategorieProfessionnelle: 'C',
        codeCiviliteDexercice: ex.title || '',
        nomDexercice: who.family_name.toUpperCase(),
        prenomDexercice: who.given_name.toUpperCase(),
        codeTypeSavoirFaire: ex.savoir_faire_type || '',
        codeSavoirFaire: ex.savoir_faire_code || '',
        activities: ex.activities.map((site) => ({
          codeModeExercice: site.mode || 'S',
          codeSecteurDactivite: site.sector || '',
          numeroFinessSite: site.finess,
          numeroFinessetablissementJuridique: site.finess_ej || '',
          raisonSocialeSite: site.name,
          libelleCommune: site.city || '',
          codePostal: site.postcode || '',
        })),
      })),
    },
  };
}

// RSA key generation sometimes stalls for tens of seconds on a loaded machine: the keys are made
// once and kept in --keys (a file under var/, never committed).
function testKeys(file) {
  if (file && fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8'));
  const make = () => crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const keys = { signing: make(), forger: make() };
  if (file) fs.writeFileSync(file, JSON.stringify(keys), { mode: 0o600 });
  return keys;
}
const keys = testKeys(argument('keys'));
const signingJwk = { ...keys.signing, kid: 'psc-test-1', use: 'sig', alg: 'RS256' };
const privateKey = crypto.createPrivateKey({ key: keys.signing, format: 'jwk' });
// A key the relying party has never seen, to forge a "bad signature" ID token on request.
const forgerKey = crypto.createPrivateKey({ key: keys.forger, format: 'jwk' });

const grantsByAccount = new Map();
function rememberGrant(account, grantId) {
  if (!grantsByAccount.has(account)) grantsByAccount.set(account, new Set());
  grantsByAccount.get(account).add(grantId);
}

const provider = new Provider(issuer, {
  clients: config.clients,
  jwks: { keys: [signingJwk] },
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  acrValues: ['eidas1'],
  responseTypes: ['code'],
  scopes: ['openid', 'scope_all', 'offline_access'],
  claims: {
    openid: ['sub'],
    scope_all: ['SubjectNameID', 'preferred_username', 'given_name', 'family_name', 'SubjectRefPro'],
  },
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    introspection: {
      enabled: true,
      // The mail server may introspect anyone's token; a relying party only its own.
      allowedPolicy: async (ctx, client, token) => (
        config.introspectors.includes(client.clientId) || token.clientId === client.clientId),
    },
    revocation: { enabled: true },
    jwtUserinfo: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      // PSC does not ask "do you want to sign out?": submit the confirmation at once.
      logoutSource: async (ctx, form) => {
        ctx.type = 'html';
        ctx.body = `<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Déconnexion</title></head>
<body><h1>Déconnexion de Pro Santé Connect (test)</h1>${form}
<button id="psc-logout" type="submit" form="op.logoutForm" value="yes" name="logout">Se déconnecter</button>
<script>document.getElementById('psc-logout').click()</script></body></html>`;
      },
      postLogoutSuccessSource: async (ctx) => {
        ctx.type = 'html';
        ctx.body = '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Déconnecté</title></head><body><h1>Vous êtes déconnecté de Pro Santé Connect (test).</h1></body></html>';
      },
    },
  },
  // PSC issues refresh tokens to the relying party without offline_access.
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
  // The mail server maps an introspected token to its owner: give it the PSC identifiers.
  extraTokenClaims: async (ctx, token) => {
    const who = byAccount.get(token.accountId);
    if (!who) return undefined;
    return { SubjectNameID: `8${who.rpps}`, preferred_username: `8${who.rpps}`, email: who.email || undefined };
  },
  ttl: {
    AccessToken: accessTtl,
    AuthorizationCode: 60,
    IdToken: 300,
    Interaction: 600,
    Session: 3600,
    Grant: 3600,
    RefreshToken: 3600,
  },
  findAccount: async (ctx, id) => {
    const who = byAccount.get(id);
    if (!who) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...pscClaims(who) }) };
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  renderError: async (ctx, out) => {
    ctx.type = 'html';
    ctx.body = `<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Erreur</title></head><body><h1>Erreur du fournisseur (test)</h1><pre>${escapeHtml(JSON.stringify(out))}</pre></body></html>`;
  },
});
provider.proxy = false;

// Tests serve the relying party on whatever loopback port (or Django's test client host) they
// got, so a registered redirect URI matches on its path, for loopback hosts only. A real PSC
// client registers exact URIs.
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', 'testserver']);
function samePathOnLoopback(registered, value) {
  let url;
  try { url = new URL(value); } catch { return false; }
  if (!LOOPBACK_HOSTS.has(url.hostname) || url.protocol !== 'http:') return false;
  return registered.some((uri) => new URL(uri).pathname === url.pathname && !url.search && !url.hash);
}
provider.Client.prototype.redirectUriAllowed = function redirectUriAllowed(value) {
  return samePathOnLoopback(this.redirectUris || [], value);
};
provider.Client.prototype.postLogoutRedirectUriAllowed = function postLogoutAllowed(value) {
  return samePathOnLoopback(this.postLogoutRedirectUris || [], value);
};

// Faults the next token response carries, so tests can prove the relying party refuses them.
let nextFault = null;
const FAULTS = new Set(['wrong_acr', 'bad_signature', 'expired_id_token', 'wrong_nonce']);

async function tamperIdToken(idToken, fault) {
  const claims = jose.decodeJwt(idToken);
  let key = privateKey;
  if (fault === 'wrong_acr') claims.acr = 'eidas0';
  if (fault === 'wrong_nonce') claims.nonce = crypto.randomBytes(16).toString('hex');
  if (fault === 'expired_id_token') {
    claims.iat -= 7200;
    claims.exp = Math.floor(Date.now() / 1000) - 3600;
  }
  if (fault === 'bad_signature') key = forgerKey;
  return new jose.SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: signingJwk.kid, typ: 'JWT' }).sign(key);
}

provider.use(async (ctx, next) => {
  await next();
  if (ctx.oidc?.route === 'token' && ctx.body?.id_token && nextFault) {
    const fault = nextFault;
    nextFault = null;
    ctx.body = { ...ctx.body, id_token: await tamperIdToken(ctx.body.id_token, fault) };
  }
});

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function readForm(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; if (body.length > 65536) req.destroy(); });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

function send(res, status, body, type = 'application/json') {
  res.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store' });
  res.end(type === 'application/json' ? JSON.stringify(body) : body);
}

function loginPage(uid) {
  const buttons = identities.map((who) => `<li><button type="submit" name="rpps" value="${escapeHtml(who.rpps)}"
    data-rpps="${escapeHtml(who.rpps)}">${escapeHtml(`${who.title ? `${who.title} ` : ''}${who.given_name} ${who.family_name}`)}</button>
    <small>RPPS ${escapeHtml(who.rpps)}</small></li>`).join('\n');
  return `<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Pro Santé Connect (test)</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><h1>Pro Santé Connect — fournisseur de test</h1>
<p>Identités générées (aucune personne réelle). Choisissez qui se connecte avec sa e-CPS :</p>
<form method="post" action="/interaction/${escapeHtml(uid)}/login"><ul>${buttons}</ul></form></body></html>`;
}

async function finishConsent(req, res, details) {
  const { prompt: { details: missing }, params, session: { accountId: account } } = details;
  let grant = details.grantId ? await provider.Grant.find(details.grantId) : null;
  if (!grant) grant = new provider.Grant({ accountId: account, clientId: params.client_id });
  // PSC asks for no consent: every requested scope and claim is granted.
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  if (missing.missingResourceScopes) {
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes)) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
  }
  const grantId = await grant.save();
  rememberGrant(account, grantId);
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

async function interaction(req, res, url) {
  const details = await provider.interactionDetails(req, res);
  const { uid, prompt } = details;
  if (req.method === 'GET' && prompt.name === 'login') return send(res, 200, loginPage(uid), 'text/html');
  if (req.method === 'GET' && prompt.name === 'consent') return finishConsent(req, res, details);
  if (req.method === 'POST' && url.pathname.endsWith('/login')) {
    const form = new URLSearchParams(await readForm(req));
    const who = byRpps.get(form.get('rpps') || '');
    if (!who) return send(res, 400, '<p>Identité de test inconnue.</p>', 'text/html');
    return provider.interactionFinished(req, res, {
      login: { accountId: accountId(who.rpps), acr: 'eidas1', amr: ['mfa'] },
    }, { mergeWithLastSubmission: false });
  }
  return send(res, 404, { error: 'not_found' });
}

function isLoopback(req) {
  const address = req.socket.remoteAddress || '';
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

async function readJson(req) {
  const text = await readForm(req);
  return text ? JSON.parse(text) : {};
}

// TEST ONLY: no browser, no e-CPS. Mints an access token for an RPPS as if that professional had
// signed in to `client_id` (the relying party by default), for the mail server's tests.
async function mintToken(body) {
  const who = byRpps.get(body.rpps || '');
  if (!who) return [404, { error: 'unknown_rpps' }];
  const clientId = body.client_id || config.clients[0].client_id;
  const client = await provider.Client.find(clientId);
  if (!client) return [404, { error: 'unknown_client' }];
  const account = accountId(who.rpps);
  const grant = new provider.Grant({ accountId: account, clientId });
  grant.addOIDCScope('openid scope_all');
  const grantId = await grant.save();
  rememberGrant(account, grantId);
  const ttl = Number(body.ttl) > 0 ? Number(body.ttl) : undefined; // short-lived, for expiry tests
  const token = new provider.AccessToken({
    accountId: account, client, grantId, scope: 'openid scope_all', gty: 'authorization_code',
    ...(ttl ? { expiresIn: ttl } : {}),
  });
  const value = await token.save();
  return [200, { access_token: value, token_type: 'Bearer', expires_in: token.expiration, sub: account }];
}

// TEST ONLY: the professional's PSC session ends (as when the e-CPS session times out): every
// grant, hence every access and refresh token, is revoked.
async function endSession(body) {
  const who = byRpps.get(body.rpps || '');
  if (!who) return [404, { error: 'unknown_rpps' }];
  const account = accountId(who.rpps);
  const grants = grantsByAccount.get(account) || new Set();
  for (const grantId of grants) {
    await provider.AccessToken.revokeByGrantId(grantId);
    await provider.RefreshToken.revokeByGrantId(grantId);
    const grant = await provider.Grant.find(grantId);
    if (grant) await grant.destroy();
  }
  grantsByAccount.delete(account);
  return [200, { revoked: grants.size }];
}

async function testEndpoint(req, res, url) {
  if (!testEndpoints || !isLoopback(req) || req.method !== 'POST') return send(res, 404, { error: 'not_found' });
  const body = await readJson(req);
  let answer;
  if (url.pathname === '/test/token') answer = await mintToken(body);
  else if (url.pathname === '/test/end-session') answer = await endSession(body);
  else if (url.pathname === '/test/fault') {
    if (!FAULTS.has(body.fault)) answer = [400, { error: 'unknown_fault', faults: [...FAULTS] }];
    else { nextFault = body.fault; answer = [200, { next: nextFault }]; }
  } else answer = [404, { error: 'not_found' }];
  return send(res, answer[0], answer[1]);
}

const callback = provider.callback();
const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, issuer);
  try {
    if (url.pathname.startsWith('/interaction/')) return await interaction(req, res, url);
    if (url.pathname.startsWith('/test/')) return await testEndpoint(req, res, url);
    return callback(req, res);
  } catch (error) {
    console.error(`psc-test: ${error.name}: ${error.message}`);
    if (!res.headersSent) send(res, 400, { error: 'bad_request', error_description: error.message });
  }
});

server.listen(port, '127.0.0.1', () => {
  console.log(`psc-test listening on ${issuer}`);
});

for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
