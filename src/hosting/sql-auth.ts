import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Socket } from 'node:net';

/**
 * Password authentication for the embedded SQL port. PGlite has no
 * authentication of its own (one embedded session: it answers any startup
 * message with AuthenticationOk), so this runs the start of the Postgres wire
 * protocol itself: SSL/GSS requests are declined, the StartupMessage is held
 * back, and the client must pass SCRAM-SHA-256 (RFC 5802/7677, as PostgreSQL
 * does it, without channel binding: there is no TLS) before the held
 * StartupMessage is handed, with the socket, to PGlite. A wrong or missing
 * password gets ErrorResponse 28P01 and the connection is closed.
 */

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3_0 = 196608;
const MECHANISM = 'SCRAM-SHA-256';
/** PostgreSQL's own limit on a startup packet. */
const MAX_STARTUP_BYTES = 10_000;
/** SASL messages are a few hundred bytes; anything much larger is not a client. */
const MAX_AUTH_MESSAGE_BYTES = 8192;

export interface ScramSecret {
  salt: Buffer;
  iterations: number;
  storedKey: Buffer;
  serverKey: Buffer;
}

/** What the server keeps of the password (computed once per process; PBKDF2 is the slow part). */
export function scramSecret(password: string, iterations = 4096): ScramSecret {
  const salt = randomBytes(16);
  const salted = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, 32, 'sha256');
  const clientKey = hmac(salted, 'Client Key');
  return { salt, iterations, storedKey: sha256(clientKey), serverKey: hmac(salted, 'Server Key') };
}

export interface Rejection {
  /** SQLSTATE sent to the client. */
  code: string;
  reason: string;
  user: string | undefined;
  remote: string;
  /** The client hung up before answering the password request (no wrong password was tried). */
  abandoned: boolean;
}

export interface AuthenticateOptions {
  secret: ScramSecret;
  timeoutMs: number;
  /** The client proved the password: `startup` is its StartupMessage (to be processed now), `rest` what it sent after. */
  onAuthenticated(socket: Socket, startup: Buffer, rest: Buffer): void;
  /** The connection was refused (and closed); the reason never contains a password. */
  onRejected(rejection: Rejection): void;
}

class Refusal extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly reason = message,
  ) {
    super(message);
  }
}

/** Run the authentication exchange on a freshly accepted socket. */
export function authenticate(socket: Socket, options: AuthenticateOptions): void {
  const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
  let buffer: Buffer = Buffer.alloc(0);
  let phase: 'startup' | 'initial' | 'final' | 'done' = 'startup';
  let user: string | undefined;
  let startup: Buffer | undefined;
  let gs2Header = '';
  let clientFirstBare = '';
  let serverFirst = '';
  let nonce = '';

  const finish = () => {
    phase = 'done';
    clearTimeout(timer);
    socket.off('data', onData);
    socket.off('error', onError);
    socket.off('close', onClose);
  };
  const refuse = (refusal: Refusal) => {
    if (phase === 'done') return;
    finish();
    if (!socket.destroyed) socket.end(errorResponse(refusal.code, refusal.message));
    setTimeout(() => socket.destroy(), 1000).unref();
    options.onRejected({ code: refusal.code, reason: refusal.reason, user, remote, abandoned: false });
  };
  const onError = () => {
    if (phase === 'done') return;
    finish();
    socket.destroy();
  };
  const onClose = () => {
    if (phase === 'done') return;
    const was = phase;
    finish();
    // A client that gives up on the password prompt (psql -w without one, or no password at all) closes here.
    if (was !== 'startup') options.onRejected({ code: '28P01', reason: 'closed before authenticating', user, remote, abandoned: true });
  };
  const timer = setTimeout(() => refuse(new Refusal('08006', 'authentication timed out')), options.timeoutMs);
  timer.unref();

  const failed = (detail: string) => new Refusal('28P01', `password authentication failed for user "${user ?? ''}"`, detail);

  const step = (): boolean => {
    if (phase === 'startup') {
      if (buffer.length < 8) return false;
      const length = buffer.readInt32BE(0);
      if (length < 8 || length > MAX_STARTUP_BYTES) throw new Refusal('08P01', 'invalid startup packet length');
      if (buffer.length < length) return false;
      const packet = buffer.subarray(0, length);
      buffer = buffer.subarray(length);
      const code = packet.readInt32BE(4);
      if ((code === SSL_REQUEST || code === GSSENC_REQUEST) && length === 8) {
        socket.write('N'); // no TLS or GSS encryption here: the client goes on in plain text (loopback only)
        return true;
      }
      if (code === CANCEL_REQUEST) {
        finish();
        socket.destroy(); // nothing to cancel in an embedded database; the protocol expects no answer
        return false;
      }
      if (code >> 16 !== 3) throw new Refusal('0A000', `unsupported frontend protocol ${code >> 16}.${code & 0xffff}: server supports 3.0`);
      const params = parseStartup(packet);
      user = params.get('user');
      if (!user) throw new Refusal('28000', 'no PostgreSQL user name specified in startup packet');
      startup = packet;
      // Newer clients may ask for protocol 3.x (x > 0) or _pq_ options: offer 3.0, as PostgreSQL does.
      const unknown = [...params.keys()].filter((key) => key.startsWith('_pq_.'));
      if ((code & 0xffff) !== 0 || unknown.length > 0) {
        socket.write(negotiateProtocolVersion(unknown));
        startup = startupMessage([...params].filter(([key]) => !key.startsWith('_pq_.')));
      }
      socket.write(authentication(10, Buffer.from(`${MECHANISM}\0\0`, 'utf8')));
      phase = 'initial';
      return true;
    }

    if (buffer.length < 5) return false;
    const type = String.fromCharCode(buffer[0]!);
    const length = buffer.readInt32BE(1);
    if (length < 4 || length > MAX_AUTH_MESSAGE_BYTES) throw new Refusal('08P01', 'invalid message length during authentication');
    if (buffer.length < 1 + length) return false;
    const body = buffer.subarray(5, 1 + length);
    buffer = buffer.subarray(1 + length);
    if (type === 'X') {
      finish();
      socket.destroy();
      options.onRejected({ code: '28P01', reason: 'closed before authenticating', user, remote, abandoned: true });
      return false;
    }
    // Anything but a password message here (a query, say) is a client without a password.
    if (type !== 'p') throw failed(`expected a SASL response, got message type "${type}"`);

    if (phase === 'initial') {
      const end = body.indexOf(0);
      if (end < 0 || body.length < end + 5) throw new Refusal('08P01', 'malformed SASLInitialResponse');
      const mechanism = body.subarray(0, end).toString('utf8');
      if (mechanism !== MECHANISM) throw new Refusal('28000', `client selected an invalid SASL authentication mechanism (${mechanism})`);
      const size = body.readInt32BE(end + 1);
      const data = size < 0 ? '' : body.subarray(end + 5, end + 5 + size).toString('utf8');
      const first = parseClientFirst(data);
      if (!first) throw failed('malformed SCRAM client-first-message');
      gs2Header = first.gs2Header;
      clientFirstBare = first.bare;
      nonce = first.nonce + randomBytes(18).toString('base64');
      serverFirst = `r=${nonce},s=${options.secret.salt.toString('base64')},i=${options.secret.iterations}`;
      socket.write(authentication(11, Buffer.from(serverFirst, 'utf8')));
      phase = 'final';
      return true;
    }

    const clientFinal = body.toString('utf8');
    const proofAt = clientFinal.lastIndexOf(',p=');
    if (proofAt < 0) throw failed('SCRAM client-final-message without a proof');
    const withoutProof = clientFinal.slice(0, proofAt);
    const attributes = withoutProof.split(',');
    if (attributes[0] !== `c=${Buffer.from(gs2Header, 'utf8').toString('base64')}` || attributes[1] !== `r=${nonce}`) {
      throw failed('SCRAM channel binding or nonce mismatch');
    }
    const proof = Buffer.from(clientFinal.slice(proofAt + 3), 'base64');
    const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
    const signature = hmac(options.secret.storedKey, authMessage);
    if (proof.length !== signature.length) throw failed('wrong password');
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i]! ^ signature[i]!;
    if (!timingSafeEqual(sha256(clientKey), options.secret.storedKey)) throw failed('wrong password');
    socket.write(authentication(12, Buffer.from(`v=${hmac(options.secret.serverKey, authMessage).toString('base64')}`, 'utf8')));
    const rest = buffer;
    finish();
    options.onAuthenticated(socket, startup!, rest);
    return false;
  };

  const onData = (chunk: Buffer) => {
    buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
    if (buffer.length > MAX_STARTUP_BYTES + MAX_AUTH_MESSAGE_BYTES) return refuse(new Refusal('08P01', 'too much data before authentication'));
    try {
      while (phase !== 'done' && step());
    } catch (error) {
      if (error instanceof Refusal) refuse(error);
      else refuse(new Refusal('XX000', 'internal error during authentication', (error as Error).message));
    }
  };
  socket.on('data', onData);
  socket.on('error', onError);
  socket.on('close', onClose);
}

function parseStartup(packet: Buffer): Map<string, string> {
  const params = new Map<string, string>();
  const parts = packet.subarray(8).toString('utf8').split('\0');
  for (let i = 0; i + 1 < parts.length && parts[i] !== ''; i += 2) params.set(parts[i]!, parts[i + 1]!);
  return params;
}

/** `n,,n=user,r=nonce`: no channel binding (`n`, or `y`: the client could but we offer none), no authzid. */
function parseClientFirst(data: string): { gs2Header: string; bare: string; nonce: string } | undefined {
  const match = /^([ny]),,(n=[^,]*,r=([\x21-\x2b\x2d-\x7e]+)(?:,.*)?)$/.exec(data);
  if (!match) return undefined;
  return { gs2Header: `${match[1]},,`, bare: match[2]!, nonce: match[3]! };
}

function hmac(key: Buffer, text: string): Buffer {
  return createHmac('sha256', key).update(text, 'utf8').digest();
}

function sha256(data: Buffer): Buffer {
  return createHash('sha256').update(data).digest();
}

function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

function authentication(kind: number, data: Buffer): Buffer {
  const code = Buffer.alloc(4);
  code.writeInt32BE(kind);
  return message('R', Buffer.concat([code, data]));
}

export function errorResponse(sqlstate: string, text: string): Buffer {
  const field = (key: string, value: string) => Buffer.from(`${key}${value}\0`, 'utf8');
  return message('E', Buffer.concat([field('S', 'FATAL'), field('V', 'FATAL'), field('C', sqlstate), field('M', text), Buffer.from([0])]));
}

function negotiateProtocolVersion(unknown: string[]): Buffer {
  const head = Buffer.alloc(8);
  head.writeInt32BE(PROTOCOL_3_0, 0);
  head.writeInt32BE(unknown.length, 4);
  return message('v', Buffer.concat([head, ...unknown.map((name) => Buffer.from(`${name}\0`, 'utf8'))]));
}

function startupMessage(params: [string, string][]): Buffer {
  const body = Buffer.from(`${params.map(([key, value]) => `${key}\0${value}\0`).join('')}\0`, 'utf8');
  const head = Buffer.alloc(8);
  head.writeInt32BE(body.length + 8, 0);
  head.writeInt32BE(PROTOCOL_3_0, 4);
  return Buffer.concat([head, body]);
}
