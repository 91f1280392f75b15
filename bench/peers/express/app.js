// Peer: the benchmarked routes on the seed's stack, Express + Passport.
//
// passport-local checks the password (argon2id, the same costs as every other
// implementation), passport-jwt + jsonwebtoken check bearer tokens (HS256 only,
// audience and issuer checked; the secret is a KeyObject from crypto.createSecretKey,
// the fast way), express-session keeps sessions in its MemoryStore, and /dashboard is
// the seed's `res.render('dashboard', { user })` with an EJS template (views/). The
// constants match bench/apps/common.py. Usage: node app.js PORT
'use strict';

const crypto = require('node:crypto');
const argon2 = require('argon2');
const express = require('express');
const session = require('express-session');
const jwt = require('jsonwebtoken');
const passport = require('passport');
const { Strategy: LocalStrategy } = require('passport-local');
const { Strategy: JwtStrategy, ExtractJwt } = require('passport-jwt');

const SECRET = 'bench-only-hs256-secret-' + '0123456789abcdef01234567';
const AUDIENCE = 'gatepass-bench';
const ISSUER = 'http://127.0.0.1';
const ACCESS_TTL_SECONDS = 900;
const SESSION_KEY = 'bench-only-session-key-' + 'fedcba9876543210fedcba98';
const ARGON2 = { type: argon2.argon2id, timeCost: 2, memoryCost: 19 * 1024, parallelism: 1 };
const KEY = crypto.createSecretKey(Buffer.from(SECRET, 'utf8'));

const user = {
  id: 'u_bench_ada',
  email: 'ada@example.com',
  display_name: 'Ada',
  passwordHash: null,
};
const usersById = new Map([[user.id, user]]);
const usersByEmail = new Map([[user.email, user]]);
const publicUser = (u) => ({ id: u.id, email: u.email, display_name: u.display_name });

passport.use(new LocalStrategy({ usernameField: 'email', passwordField: 'password' },
  async (email, password, done) => {
    try {
      const found = usersByEmail.get(String(email).toLowerCase());
      if (!found || !(await argon2.verify(found.passwordHash, password))) {
        return done(null, false, { message: 'Incorrect email or password.' });
      }
      return done(null, found);
    } catch (err) {
      return done(err);
    }
  }));

passport.use(new JwtStrategy({
  jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
  secretOrKey: KEY,
  algorithms: ['HS256'],
  audience: AUDIENCE,
  issuer: ISSUER,
}, (payload, done) => done(null, usersById.get(payload.sub) || false)));

passport.serializeUser((u, done) => done(null, u.id));
passport.deserializeUser((id, done) => done(null, usersById.get(id) || false));

const app = express();
app.disable('x-powered-by');
app.set('view engine', 'ejs');
app.set('views', require('node:path').join(__dirname, 'views'));
app.use(express.json());
app.use(session({
  secret: SESSION_KEY,
  resave: false,
  saveUninitialized: false,
  cookie: { httpOnly: true, sameSite: 'lax', secure: false },
}));
app.use(passport.session());

function isAuthenticated(req, res, next) {
  if (req.isAuthenticated()) return next();
  return res.status(401).json({ error: 'unauthenticated', message: 'Authentication is required.' });
}

app.get('/open', (req, res) => res.json({ ok: true }));

app.get('/api/me', passport.authenticate('jwt', { session: false }),
  (req, res) => res.json(publicUser(req.user)));

app.get('/session/me', isAuthenticated, (req, res) => res.json(publicUser(req.user)));

app.post('/login', passport.authenticate('local'), (req, res) => res.status(204).end());

// The seed's dashboard: the session's user rendered into a page; browsers without one
// are sent to the login page.
app.get('/dashboard', (req, res) => {
  if (!req.isAuthenticated()) return res.redirect(303, '/login');
  return res.render('dashboard', { user: req.user });
});

app.post('/auth/token', passport.authenticate('local', { session: false }), (req, res) => {
  const token = jwt.sign({ sub: req.user.id, jti: crypto.randomBytes(16).toString('base64url') },
    KEY, {
      algorithm: 'HS256', audience: AUDIENCE, issuer: ISSUER, expiresIn: ACCESS_TTL_SECONDS,
    });
  res.set('Cache-Control', 'no-store');
  res.json({ access_token: token, token_type: 'Bearer', expires_in: ACCESS_TTL_SECONDS });
});

const port = Number(process.argv[2] || 3000);
argon2.hash('correct horse battery staple', ARGON2).then((hash) => {
  user.passwordHash = hash;
  app.listen(port, '127.0.0.1', () => console.log(`listening on 127.0.0.1:${port}`));
});
