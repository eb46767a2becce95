/**
 * The HTTP API (Fastify): a thin shell over KycService. API keys with roles, OpenAPI at /docs, multipart uploads
 * with size and type limits read into memory (never written to disk) and handed to the vault, which encrypts them.
 * Every /v1 call is audited (key id, role, route, status — no personal data). Errors are precise 4xx answers;
 * another customer's verification answers exactly like an unknown id.
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { TracemarkError, httpStatusFor } from '../core/errors.js';
import type { TypedFields } from '../document/crosscheck.js';
import type { KycService, Verification } from '../kyc/service.js';
import type { ImageInput } from '../kyc/pipeline.js';
import type { KycResult } from '../kyc/types.js';
import type { ApiKeyStore, ApiPrincipal, ApiRole } from './keys.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: ApiPrincipal | null;
    auditSubject: string | null;
  }
}

/** What the API needs. */
export interface ApiDeps {
  kyc: KycService;
  keys: Pick<ApiKeyStore, 'verify'>;
  audit: { record(action: string, subjectId: string | null, opts: { details?: Record<string, unknown> }): Promise<unknown> };
  /** Largest accepted upload per file, in bytes. */
  maxUploadBytes: number;
  /** Most liveness frames per request. */
  maxFrames?: number;
  logger?: boolean;
}

/** Image types accepted at upload (checked by declared type here, and by content in the vault). */
const ACCEPTED_TYPES = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/heic', 'image/heif', 'image/avif', 'image/tiff']);

/** HTTP statuses for codes more precise than their error kind. */
const STATUS: Record<string, number> = {
  API_KEY_MISSING: 401,
  API_KEY_INVALID: 401,
  UPLOAD_WRONG_TYPE: 415,
  UPLOAD_NOT_MULTIPART: 415,
  IMAGE_UNREADABLE: 415,
  IMAGE_UNSUPPORTED: 415,
  IMAGE_EMPTY: 400,
  UPLOAD_TOO_LARGE: 413,
  FILE_TOO_LARGE: 413,
  IMAGE_TOO_LARGE: 413,
};

const TYPED_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    full_name: { type: 'string', maxLength: 200 },
    surname: { type: 'string', maxLength: 200 },
    given_names: { type: 'string', maxLength: 200 },
    date_of_birth: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
    document_number: { type: 'string', maxLength: 40 },
    date_of_expiry: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
  },
} as const;
const ID_PARAMS = { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 64 } } } as const;
const ERROR = { type: 'object', properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' }, hint: { type: 'string' } } } } } as const;
const SECURITY = [{ apiKey: [] }];

function apiError(code: string, message: string, hint?: string): TracemarkError {
  return new TracemarkError(code, message, { kind: 'user', ...(hint ? { hint } : {}) });
}

function tokenOf(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (typeof h === 'string' && h.startsWith('Bearer ')) return h.slice(7).trim();
  const k = req.headers['x-api-key'];
  return typeof k === 'string' ? k.trim() : null;
}

/** Builds the Fastify app (not listening). */
export async function buildApi(d: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({ logger: d.logger ?? false, bodyLimit: 64 * 1024 });
  app.decorateRequest('principal', null);
  app.decorateRequest('auditSubject', null);
  await app.register(multipart, { limits: { fileSize: d.maxUploadBytes, files: 1, fields: 4, parts: 5, headerPairs: 100 } });
  await app.register(swagger, {
    openapi: {
      info: { title: 'Tracemark KYC API', version: '1.0.0', description: 'Identity verification: document + selfie + liveness challenge → approve / review / reject. Authenticate with `Authorization: Bearer tmk_…` (roles: customer_app, kyc_agent, admin).' },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  const auth = (roles: readonly ApiRole[]) => async (req: FastifyRequest) => {
    const token = tokenOf(req);
    if (!token) throw apiError('API_KEY_MISSING', 'This endpoint needs an API key', 'Send `Authorization: Bearer tmk_…`.');
    const p = d.keys.verify(token);
    if (!p) throw apiError('API_KEY_INVALID', 'The API key is not valid');
    req.principal = p;
    if (!roles.includes(p.role)) throw new TracemarkError('FORBIDDEN_ROLE', `The ${p.role} role may not call this endpoint`, { kind: 'forbidden', hint: `Allowed roles: ${roles.join(', ')}.` });
  };
  const owner = (req: FastifyRequest): string | null => (req.principal?.role === 'customer_app' ? req.principal.keyId : null);
  const load = async (req: FastifyRequest): Promise<Verification> => {
    const v = await d.kyc.load((req.params as { id: string }).id, owner(req));
    req.auditSubject = v.subjectId;
    return v;
  };

  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? req.url.split('?')[0] ?? '';
    if (!route.startsWith('/v1')) return;
    await d.audit.record('api.call', req.auditSubject, { details: { method: req.method, route, status: reply.statusCode, key_id: req.principal?.keyId ?? null, role: req.principal?.role ?? null } }).catch(() => undefined);
  });

  app.setErrorHandler((err: FastifyError | TracemarkError, req: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof TracemarkError) return reply.status(STATUS[err.code] ?? httpStatusFor(err)).send({ error: err.toJSON() });
    const code = (err as FastifyError).code;
    if (code === 'FST_REQ_FILE_TOO_LARGE' || code === 'FST_FILES_LIMIT' || code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') {
      return reply.status(413).send({ error: { code: 'UPLOAD_TOO_LARGE', message: `The upload exceeds the limits: ${(d.maxUploadBytes / 1048576).toFixed(0)} MB per image, one image per upload, ${d.maxFrames ?? 20} liveness frames. Nothing was stored.` } });
    }
    if (code === 'FST_INVALID_MULTIPART_CONTENT_TYPE') return reply.status(415).send({ error: { code: 'UPLOAD_NOT_MULTIPART', message: 'Expected a multipart/form-data body with the image in the field "file".' } });
    // busboy reports a cut or malformed body with plain Errors.
    if (/multipart|boundary/i.test(err.message)) return reply.status(400).send({ error: { code: 'UPLOAD_MALFORMED', message: 'The multipart/form-data body is malformed or incomplete. Nothing was stored.' } });
    if ((err as FastifyError).validation) return reply.status(400).send({ error: { code: 'INVALID_REQUEST', message: err.message } });
    const status = (err as FastifyError).statusCode;
    if (status && status >= 400 && status < 500) return reply.status(status).send({ error: { code: code ?? 'BAD_REQUEST', message: err.message } });
    req.log.error({ err: err.message }, 'unhandled error');
    return reply.status(500).send({ error: { code: 'INTERNAL', message: 'Internal error; it was logged.' } });
  });
  app.setNotFoundHandler((req, reply) => reply.status(404).send({ error: { code: 'ROUTE_NOT_FOUND', message: `No endpoint ${req.method} ${req.url.split('?')[0]}; see /docs.` } }));

  app.get('/health', { schema: { hide: true } }, async () => ({ ok: true }));

  const customer: ApiRole[] = ['customer_app', 'admin'];
  const everyone: ApiRole[] = ['customer_app', 'kyc_agent', 'admin'];

  app.post('/v1/verifications', {
    preHandler: auth(customer),
    schema: {
      tags: ['kyc'], summary: 'Start a verification (creates the subject in the vault)', security: SECURITY,
      body: { type: 'object', additionalProperties: false, properties: { ref: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' }, typed: TYPED_SCHEMA } },
      response: { 201: { type: 'object', properties: { verification_id: { type: 'string' }, status: { type: 'string' } } }, 400: ERROR, 401: ERROR, 403: ERROR },
    },
  }, async (req, reply) => {
    const body = (req.body ?? {}) as { ref?: string; typed?: TypedFields };
    const v = await d.kyc.start(body, (req.principal as ApiPrincipal).keyId);
    req.auditSubject = v.subjectId;
    return reply.status(201).send({ verification_id: v.id, status: v.status });
  });

  for (const what of ['document', 'selfie'] as const) {
    app.put(`/v1/verifications/:id/${what}`, {
      preHandler: auth(customer),
      schema: {
        tags: ['kyc'], security: SECURITY, params: ID_PARAMS, consumes: ['multipart/form-data'],
        summary: `Upload the ${what} image (multipart field "file"; JPEG, PNG, WebP, HEIC, AVIF or TIFF; size-limited). Stored encrypted in the vault.`,
        response: { 200: { type: 'object', properties: { image_id: { type: 'string' } } }, 400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR, 409: ERROR, 413: ERROR, 415: ERROR },
      },
    }, async (req) => {
      const v = await load(req);
      const part = await req.file();
      if (!part) throw apiError('UPLOAD_MISSING', 'Expected one image file in the multipart field "file"');
      if (!ACCEPTED_TYPES.has(part.mimetype)) {
        part.file.resume();
        throw apiError('UPLOAD_WRONG_TYPE', `${part.mimetype} is not an accepted image type`, `Send one of: ${[...ACCEPTED_TYPES].join(', ')}. Nothing was stored.`);
      }
      const bytes = await part.toBuffer();
      const { imageId } = await d.kyc.upload(v, what, bytes, `${what} upload`);
      return { image_id: imageId };
    });
  }

  app.post('/v1/verifications/:id/liveness/challenge', {
    preHandler: auth(customer),
    schema: {
      tags: ['liveness'], security: SECURITY, params: ID_PARAMS,
      summary: 'Issue a one-time liveness challenge: random steps to film, a nonce, an expiry',
      response: { 200: { type: 'object', properties: { challenge_id: { type: 'string' }, nonce: { type: 'string' }, steps: { type: 'array', items: { type: 'string' } }, instructions: { type: 'array', items: { type: 'string' } }, expires_at: { type: 'string' } } }, 401: ERROR, 403: ERROR, 404: ERROR, 409: ERROR },
    },
  }, async (req) => d.kyc.challenge(await load(req)));

  app.post('/v1/verifications/:id/liveness', {
    preHandler: auth(customer),
    schema: {
      tags: ['liveness'], security: SECURITY, params: ID_PARAMS, consumes: ['multipart/form-data'],
      summary: 'Answer the challenge: fields challenge_id and nonce, then the frames in order (one file part each). Checked at submission; the nonce is single-use.',
      response: { 200: { type: 'object', properties: { frames: { type: 'number' } } }, 400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR, 409: ERROR, 413: ERROR, 415: ERROR },
    },
  }, async (req) => {
    const v = await load(req);
    const max = d.maxFrames ?? 20;
    let challengeId = '';
    let nonce = '';
    const frames: ImageInput[] = [];
    for await (const part of req.parts({ limits: { files: max, fields: 4, parts: max + 4, fileSize: d.maxUploadBytes } })) {
      if (part.type === 'field') {
        if (part.fieldname === 'challenge_id') challengeId = String(part.value);
        else if (part.fieldname === 'nonce') nonce = String(part.value);
        continue;
      }
      if (!ACCEPTED_TYPES.has(part.mimetype)) {
        part.file.resume();
        throw apiError('UPLOAD_WRONG_TYPE', `frame ${frames.length + 1}: ${part.mimetype} is not an accepted image type`, 'Nothing was stored.');
      }
      frames.push({ bytes: await part.toBuffer(), label: `frame ${frames.length + 1}` });
    }
    if (!challengeId || !nonce) throw apiError('LIVENESS_FIELDS_MISSING', 'Send the fields challenge_id and nonce with the frames');
    if (frames.length === 0) throw apiError('UPLOAD_MISSING', 'No frames were sent');
    await d.kyc.liveness(v, challengeId, nonce, frames);
    return { frames: frames.length };
  });

  const view = (req: FastifyRequest, v: Verification) => {
    const r: KycResult | null = v.result;
    if (req.principal?.role === 'customer_app') {
      return { verification_id: v.id, status: v.status, decision: r?.decision ?? null, reasons: r?.reasons.map((x) => ({ code: x.code, message: x.message })) ?? [] };
    }
    return { verification_id: v.id, subject_id: v.subjectId, status: v.status, created_at: v.createdAt, decision: r?.decision ?? null, result: r };
  };

  app.post('/v1/verifications/:id/submit', {
    preHandler: auth(customer),
    schema: { tags: ['kyc'], security: SECURITY, params: ID_PARAMS, summary: 'Run the checks and decide (approve / review / reject with reasons)', response: { 400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR, 409: ERROR } },
  }, async (req) => {
    const v = await load(req);
    await d.kyc.submit(v);
    return view(req, v);
  });

  app.get('/v1/verifications/:id', {
    preHandler: auth(everyone),
    schema: { tags: ['kyc'], security: SECURITY, params: ID_PARAMS, summary: 'Read a verification and its decision (customer apps: their own, decision and reasons only)', response: { 401: ERROR, 403: ERROR, 404: ERROR } },
  }, async (req) => view(req, await load(req)));

  return app;
}
